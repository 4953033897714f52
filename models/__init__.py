"""Models and decision policy. :mod:`models.decisioning` is infrastructure-free domain logic."""

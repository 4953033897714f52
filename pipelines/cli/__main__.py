"""``python -m pipelines.cli`` is the ``brain`` command."""

from pipelines.cli import main

main()

"""Where ``brain models train`` builds its simulated world: a throw-away embedded sandbox."""

from __future__ import annotations

from pathlib import Path

from pipelines.settings import PipelineSettings, Profile

__all__ = ["training_sandbox"]


def training_sandbox(settings: PipelineSettings, directory: Path) -> PipelineSettings:
    """Embedded stores under ``directory`` for a simulated training world, with the MLflow registry
    (and Feast repo) of ``settings``: training on simulated data never writes into the operational
    database or the served feature stores of the profile, and its model lands where the decision
    service reads its champion. The training frame itself is logged with the run."""
    return PipelineSettings(
        profile=Profile.EMBEDDED,
        run_dir=directory,
        database_url=f"sqlite:///{directory / 'embedded' / 'brain.db'}",
        feast_repo=settings.feast_repo,
        mlflow_tracking_uri=settings.mlflow_tracking_uri,
    )

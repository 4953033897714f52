"""The training sandbox of ``brain models train``: simulated data in its own embedded stores, the
model registered in the profile's MLflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.sandbox import training_sandbox
from pipelines.settings import PipelineSettings, Profile

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("profile", [Profile.EMBEDDED, Profile.SERVICES])
def test_the_sandbox_keeps_the_registry_and_nothing_else(profile: Profile, tmp_path: Path) -> None:
    served = PipelineSettings(profile=profile, run_dir=tmp_path / "run", feast_repo=Path("feature_repo"))
    sandbox = training_sandbox(served, tmp_path / "sandbox")

    assert sandbox.profile is Profile.EMBEDDED
    assert sandbox.db_url == f"sqlite:///{tmp_path / 'sandbox' / 'embedded' / 'brain.db'}"
    assert sandbox.db_url != served.db_url
    assert sandbox.run_dir == tmp_path / "sandbox"  # Feast registry, online store and Parquet
    assert (sandbox.mlflow_tracking_uri, sandbox.feast_repo) == (
        served.mlflow_tracking_uri,
        served.feast_repo,
    )

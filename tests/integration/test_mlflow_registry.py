"""MLflow registry round trip: log + register two versions, promote by alias, the serving side
(``bento_service.champion``) follows the alias without downtime. Runs on the services backend
(a fresh PostgreSQL database, psycopg 3 URL) and on the embedded one (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from bento_service.champion import ChampionModel, ModelUnavailable
from models.registry import champion_metrics, log_and_register, promote, promote_if_better
from models.training import train

pytestmark = pytest.mark.integration

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _frame(seed: int, flip: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    x = rng.normal(size=n)
    noise = rng.normal(size=n)
    label = ((x > 0.8) if not flip else (x < -0.8)).astype(int)
    return pd.DataFrame(
        {
            "gcid": [f"G{i % 50}" for i in range(n)],
            "event_timestamp": [T0 + timedelta(minutes=i) for i in range(n)],
            "signal": x,
            "noise": noise,
            "label": label,
        }
    )


@pytest.fixture(params=["services", "embedded"])
def tracking(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "embedded":
        yield f"sqlite:///{tmp_path / 'mlflow.db'}"
    else:
        yield request.getfixturevalue("pg_url")  # postgresql+psycopg://... (MLflow 3 accepts psycopg 3)


def test_register_promote_and_serve_the_champion(tracking: str, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    first_frame, second_frame = _frame(1), _frame(2, flip=True)
    first_model = train(first_frame)
    first = log_and_register(
        first_model,
        name="fraud",
        feature_service="fraud_v1",
        training_frame=first_frame,
        tracking=tracking,
        artifacts=artifacts,
    )
    second = log_and_register(
        train(second_frame),
        name="fraud",
        feature_service="fraud_v1",
        training_frame=second_frame,
        tracking=tracking,
        artifacts=artifacts,
    )
    assert (first.version, second.version) == ("1", "2")
    assert first.metrics["roc_auc"] > 0.9

    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    run = client.get_run(first.run_id)
    assert run.data.tags["feature_service"] == "fraud_v1"
    assert run.data.tags["feature_service_name"] == "fraud"
    assert run.data.tags["feature_service_version"] == "v1"
    assert len(run.data.tags["training_data_sha256"]) == 64
    assert {"roc_auc", "pr_auc", "brier", "ece", "precision_at_capacity"} <= set(run.data.metrics)
    assert [a.path for a in client.list_artifacts(first.run_id, "training_data")] == [
        "training_data/training_frame.parquet"
    ]
    assert run.inputs is not None
    assert run.inputs.dataset_inputs[0].dataset.name.startswith("fraud_v1-")

    model = ChampionModel(tracking, "fraud", poll_interval_s=3600)
    assert model.refresh() is False  # no champion yet
    with pytest.raises(ModelUnavailable):
        model.score({"signal": 2.0})

    promote(tracking, "fraud", first.version, "champion")
    assert model.refresh() is True
    assert model.features == ("signal", "noise")
    high = model.score({"signal": 2.0, "noise": None})
    assert high.model_version == "fraud/1" and high.value > 0.5
    assert model.compiled  # the trained shape is served compiled, with the estimator's exact answers
    for signal, noise in ((2.0, None), (-1.0, 0.3), (0.81, -2.0), (None, None)):
        row = np.array([[np.nan if v is None else v for v in (signal, noise)]])
        assert (
            model.score({"signal": signal, "noise": noise}).value
            == first_model.pipeline.predict_proba(row)[0, 1]
        )

    promote(tracking, "fraud", second.version, "champion")  # the alias moves: serving follows
    assert model.refresh() is True
    flipped = model.score({"signal": 2.0, "noise": 0.0})
    assert flipped.model_version == "fraud/2" and flipped.value < 0.5
    assert model.refresh() is False  # unchanged alias: nothing reloaded

    assert champion_metrics(tracking, "fraud") == second.metrics
    better = first.metrics["pr_auc"] > second.metrics["pr_auc"]
    assert promote_if_better(tracking, first, metric="pr_auc") is better
    assert str(client.get_model_version_by_alias("fraud", "champion").version) == ("1" if better else "2")

    challenger = ChampionModel(tracking, "fraud", alias="challenger", poll_interval_s=3600)
    assert challenger.refresh() is False and not challenger.ready  # no challenger yet
    promote(tracking, "fraud", first.version, "challenger")
    assert str(client.get_model_version_by_alias("fraud", "challenger").version) == "1"
    assert challenger.refresh() is True  # what the service scores and logs beside the champion
    assert challenger.score({"signal": 2.0}).model_version == "fraud/1"
    with pytest.raises(ValueError, match="alias"):
        promote(tracking, "fraud", first.version, "production")  # type: ignore[arg-type]

"""Streaming features → point-in-time training frames, on the embedded Feast (SQLite + Parquet):

* leakage: every feature value in a training row is the one known at the label time (an
  independent as-of join over the offline Parquet is the oracle), never a later one;
* train/serve parity: the online values (streaming path) equal the historical ones for the same
  GCIDs and times, on-demand features included;
* both models train on the frames and beat chance on a time-based holdout.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from feature_repo.catalog import STREAMED_VIEWS
from feature_repo.sources import view_parquet
from models.training import train
from models.workflow import SimulatedWorld, build_training_frame, simulated_world
from pipelines.settings import PipelineSettings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2] / "feature_repo"
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)  # fixed: the same simulated world every run


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedWorld]:
    settings = PipelineSettings(run_dir=tmp_path_factory.mktemp("run"), feast_repo=REPO)
    w = simulated_world(settings, customers=150, seed=11, now=NOW, fraud_share=0.08)
    yield w
    w.engine.dispose()


@pytest.fixture(scope="module")
def fraud_frame(world: SimulatedWorld) -> pd.DataFrame:
    behaviour = world.bank.behaviour
    assert behaviour is not None
    return build_training_frame(
        "fraud",
        world.store,
        world.engine,
        world.bank.events(),
        fraud_event_ids=sorted(behaviour.fraud_transactions),
    )


def _same(a: object, b: object) -> bool:
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA for x in (a, b)]
    if any(missing):
        return all(missing)
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)  # type: ignore[arg-type]


def test_no_feature_value_from_after_the_label_time_enters_a_row(
    world: SimulatedWorld, fraud_frame: pd.DataFrame
) -> None:
    data_dir = world.settings.run_dir / "embedded" / "features"
    entities = fraud_frame[["gcid", "event_timestamp"]].copy()
    entities["event_timestamp"] = entities["event_timestamp"].astype("datetime64[us, UTC]")
    entities["_row"] = range(len(entities))
    entities = entities.sort_values("event_timestamp")
    checked = 0
    for spec in STREAMED_VIEWS:
        pushed = pd.read_parquet(view_parquet(data_dir, spec.name)).sort_values("event_timestamp")
        pushed["event_timestamp"] = pushed["event_timestamp"].astype("datetime64[us, UTC]")
        pushed = pushed.rename(columns={"event_timestamp": "feature_timestamp"})
        oracle = pd.merge_asof(
            entities,
            pushed,
            left_on="event_timestamp",
            right_on="feature_timestamp",
            by="gcid",
            direction="backward",  # only rows known at or before the label time
            tolerance=pd.Timedelta(spec.ttl),
        ).set_index("_row")
        assert (
            oracle["feature_timestamp"].dropna()
            <= oracle.loc[oracle["feature_timestamp"].notna(), "event_timestamp"]
        ).all()
        for column in fraud_frame.columns.intersection(list(spec.names)):
            for row, expected in oracle[column].items():
                assert _same(fraud_frame.at[row, column], expected), (spec.name, column, row)
                checked += 1
    assert checked > 1000
    assert (fraud_frame["label"] == 1).sum() >= 5
    # a transaction's own amount never counts in its own row (fraud ones included): the request
    # features are computed from the (oracle-checked) history strictly before it
    mean = fraud_frame["txn_amount_mean_30d"]
    with_history = fraud_frame[mean.notna() & (mean > 0)]
    assert len(with_history) >= 10  # 19 in this (fixed) world
    expected_ratio = with_history["request_amount"] / with_history["txn_amount_mean_30d"]
    assert (with_history["amount_vs_mean_30d"] - expected_ratio).abs().max() < 1e-9
    assert (with_history["seconds_since_last_txn"] > 0).all()


def test_online_and_historical_features_are_equal(world: SimulatedWorld) -> None:
    store = world.store
    latest: dict[str, pd.Timestamp] = {}
    data_dir = world.settings.run_dir / "embedded" / "features"
    for spec in STREAMED_VIEWS:
        pushed = pd.read_parquet(view_parquet(data_dir, spec.name))
        for gcid, at in pushed.groupby("gcid")["event_timestamp"].max().items():
            latest[str(gcid)] = max(latest.get(str(gcid), at), at)
    gcids = sorted(latest)[:60]
    request_epoch = NOW.timestamp()
    rows: list[dict[str, str | float]] = [
        {"gcid": g, "request_amount": 1000.0, "request_epoch": request_epoch} for g in gcids
    ]
    online = store.service_online("fraud_v1", rows)
    entities = pd.DataFrame(rows)
    entities["event_timestamp"] = [latest[g] for g in gcids]  # as of each GCID's newest row: what is online
    offline = store.service_historical("fraud_v1", entities)
    features = [c for c in online if c not in {"gcid", "request_amount", "request_epoch"}]
    assert len(features) >= 25
    mismatches = [
        (g, f, online[f][i], offline.at[i, f])
        for i, g in enumerate(gcids)
        for f in features
        if not _same(online[f][i], offline.at[i, f])
    ]
    assert mismatches == []


def test_both_models_train_on_point_in_time_frames(world: SimulatedWorld, fraud_frame: pd.DataFrame) -> None:
    fraud = train(fraud_frame)
    assert fraud.evaluation.positives > 0
    assert fraud.evaluation.roc_auc > 0.8
    behaviour = world.bank.behaviour
    assert behaviour is not None
    credit_frame = build_training_frame(
        "credit",
        world.store,
        world.engine,
        world.bank.events(),
        credit_outcomes=behaviour.credit_default,
        as_of=behaviour.credit_applied_at,
    )
    assert credit_frame["credit_score"].notna().mean() > 0.9
    credit = train(credit_frame, test_share=0.4)
    assert credit.evaluation.rows > 20

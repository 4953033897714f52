"""Time-based split, metrics and training of the scikit-learn pipelines (no MLflow, no Feast)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from models.training import evaluate, feature_columns, time_split, train

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "gcid": ["G"] * n,
            "event_timestamp": [T0 + timedelta(minutes=i) for i in range(n)],
            "request_epoch": np.arange(n, dtype=float),
            "signal": np.where(rng.random(n) < 0.1, np.nan, x),
            "segment": ["retail"] * n,
            "label": (x > 1).astype(int),
        }
    )


def test_the_split_is_by_time_and_never_mixes() -> None:
    frame = _frame().sample(frac=1, random_state=1)  # order must not matter
    train_rows, test_rows, split_at = time_split(frame, test_share=0.25)
    assert train_rows["event_timestamp"].max() < split_at <= test_rows["event_timestamp"].min()
    assert len(test_rows) == pytest.approx(75, abs=1)


def test_feature_columns_are_the_numeric_non_key_columns() -> None:
    assert feature_columns(_frame()) == ("signal",)


@pytest.mark.parametrize(
    ("y", "p", "capacity", "precision", "auc"),
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 0.5, 1.0, 1.0),
        ([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1], 0.5, 0.0, 0.0),
        ([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.3], 0.25, 1.0, 1.0),
        ([1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], 0.25, 0.0, 0.0),
    ],
)
def test_metrics(y: list[int], p: list[float], capacity: float, precision: float, auc: float) -> None:
    e = evaluate(np.array(y), np.array(p), capacity)
    assert (e.precision_at_capacity, e.roc_auc) == (precision, auc)
    assert 0 <= e.ece <= 1 and 0 <= e.brier <= 1
    assert e.positives == sum(y) and e.rows == len(y)


def test_a_perfectly_calibrated_score_has_zero_calibration_error() -> None:
    y = np.array([0] * 8 + [1] * 2 + [1] * 9 + [0] * 1)
    p = np.array([0.2] * 10 + [0.9] * 10)
    assert evaluate(y, p).ece == pytest.approx(0.0)


def test_train_learns_the_signal_and_handles_missing_values() -> None:
    model = train(_frame(), max_iter=50)
    assert model.features == ("signal",)
    assert model.evaluation.roc_auc > 0.9
    assert model.params["estimator"] == "HistGradientBoostingClassifier"
    score = model.pipeline.predict_proba(np.array([[3.0], [np.nan]]))[:, 1]
    assert score[0] > 0.5


def test_a_single_class_training_set_is_refused() -> None:
    frame = _frame()
    frame["label"] = 0
    with pytest.raises(ValueError, match="single class"):
        train(frame)

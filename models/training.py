"""Training and evaluation of the scikit-learn models on a time-based split.

Both models are a ``Pipeline(SimpleImputer(median, missing indicators) -> HistGradientBoosting)``
over the numeric features of their feature service; the split is by time (the latest
``test_share`` of label times is the holdout), never random, so the evaluation sees the future
the way production does.

Metrics: ROC AUC, PR AUC (average precision), Brier score and expected calibration error (10
bins), and precision at the review capacity (the share of cases analysts can review, e.g. 1 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline

__all__ = ["Evaluation", "TrainedModel", "evaluate", "feature_columns", "time_split", "train"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    roc_auc: float
    pr_auc: float
    brier: float
    ece: float
    precision_at_capacity: float
    review_capacity: float
    positives: int
    rows: int

    def as_dict(self) -> dict[str, float]:
        return {
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
            "brier": self.brier,
            "ece": self.ece,
            "precision_at_capacity": self.precision_at_capacity,
            "review_capacity": self.review_capacity,
            "test_positives": float(self.positives),
            "test_rows": float(self.rows),
        }


@dataclass(frozen=True)
class TrainedModel:
    pipeline: Pipeline
    features: tuple[str, ...]
    evaluation: Evaluation
    train_rows: int
    split_at: pd.Timestamp
    params: dict[str, float | int | str]


def feature_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """The numeric feature columns of a training frame (not keys, labels or request ids)."""
    keys = {"gcid", "event_timestamp", "label", "event_id", "request_epoch", *exclude}
    return tuple(c for c in frame.columns if c not in keys and pd.api.types.is_numeric_dtype(frame[c]))


def time_split(
    frame: pd.DataFrame, test_share: float = 0.3
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Rows before the ``1 - test_share`` quantile of ``event_timestamp`` train, the rest test."""
    times = pd.to_datetime(frame["event_timestamp"], utc=True)
    split_at = pd.Timestamp(times.quantile(1 - test_share))
    before = (times < split_at).to_numpy()
    return frame.loc[before], frame.loc[~before], split_at


def _ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.mean() * abs(p[mask].mean() - y[mask].mean())
    return float(total)


def evaluate(y: np.ndarray, p: np.ndarray, review_capacity: float = 0.01) -> Evaluation:
    """Metrics of scores ``p`` against labels ``y`` (AUCs are NaN with a single class)."""
    both = len(np.unique(y)) == 2
    k = max(1, round(len(p) * review_capacity))
    top = np.argsort(-p, kind="stable")[:k]
    return Evaluation(
        roc_auc=float(roc_auc_score(y, p)) if both else float("nan"),
        pr_auc=float(average_precision_score(y, p)) if both else float("nan"),
        brier=float(brier_score_loss(y, p)),
        ece=_ece(y, p),
        precision_at_capacity=float(y[top].mean()),
        review_capacity=review_capacity,
        positives=int(y.sum()),
        rows=len(y),
    )


def train(
    frame: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    test_share: float = 0.3,
    review_capacity: float = 0.01,
    max_iter: int = 200,
    learning_rate: float = 0.1,
    seed: int = 0,
) -> TrainedModel:
    """Fit on the earlier rows of ``frame`` (``label`` column), evaluate on the later ones."""
    cols = tuple(features) if features is not None else feature_columns(frame)
    train_rows, test_rows, split_at = time_split(frame, test_share)
    if train_rows["label"].nunique() < 2:
        raise ValueError("the training rows hold a single class: more data or another split is needed")
    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            (
                "model",
                HistGradientBoostingClassifier(
                    max_iter=max_iter, learning_rate=learning_rate, random_state=seed
                ),
            ),
        ]
    )
    # numpy in, not DataFrames: the fitted pipeline then scores plain arrays on the request path
    # (the column order is ``features``, recorded in the MLflow signature)
    x_train = train_rows[list(cols)].to_numpy(dtype="float64", na_value=np.nan)
    pipeline.fit(x_train, train_rows["label"].to_numpy())
    scores = pipeline.predict_proba(test_rows[list(cols)].to_numpy(dtype="float64", na_value=np.nan))[:, 1]
    evaluation = evaluate(test_rows["label"].to_numpy(), scores, review_capacity)
    params: dict[str, float | int | str] = {
        "estimator": "HistGradientBoostingClassifier",
        "max_iter": max_iter,
        "learning_rate": learning_rate,
        "test_share": test_share,
        "seed": seed,
        "n_features": len(cols),
    }
    return TrainedModel(pipeline, cols, evaluation, len(train_rows), split_at, params)

"""Fitted scikit-learn gradient-boosted trees as flat NumPy arrays, for scoring one row fast.

``HistGradientBoostingClassifier.predict_proba`` on a single row walks its trees one Python call
per tree (200 by default), each through a Cython loop with OpenMP threads: ≈ 1.7 ms of CPU on one
thread here, ≈ 3.7 ms with the threads of two cores spinning. A decision scores one row, so the
serving side compiles the fitted model once, at load, into arrays of all trees' nodes and walks
every tree at once, one NumPy step per tree level (≈ 0.1 ms).

The walk is scikit-learn's own rule (``_predictor.pyx``): a missing value follows the node's
``missing_go_to_left``, any other goes left when ``value <= num_threshold``; the raw score is the
baseline plus the leaf values added in tree order (the same float64 additions, so the same
result), and the probability the loss's inverse link (``expit`` for binary log-loss). A
``SimpleImputer`` in front (median/mean/constant, with or without ``add_indicator``) is applied
from its fitted ``statistics_`` and missing-indicator columns.

Only what this module knows is compiled: :func:`compile_classifier` returns ``None`` for any
other estimator (categorical splits, multi-class, other steps), and the caller keeps scoring
with the estimator itself. The caller also checks the compiled model against the estimator on
probe rows before serving it (:func:`agrees`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

__all__ = ["CompiledClassifier", "agrees", "compile_classifier", "probe_rows"]


@dataclass(frozen=True, slots=True)
class _Imputer:
    keep: NDArray[np.intp] | None  # columns kept after imputation (None: all)
    fill: NDArray[np.float64]  # per input column
    indicator: NDArray[np.intp] | None  # input columns with a missing-indicator output column

    def apply(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        missing = np.isnan(x)
        out = np.where(missing, self.fill, x)
        if self.keep is not None:
            out = out[self.keep]
        if self.indicator is not None:
            out = np.concatenate([out, missing[self.indicator].astype(np.float64)])
        return out


class CompiledClassifier:
    """A binary gradient-boosted tree classifier (optionally behind an imputer) as node arrays."""

    def __init__(
        self, n_features: int, imputer: _Imputer | None, model: HistGradientBoostingClassifier
    ) -> None:
        trees = [p for iteration in model._predictors for p in iteration]
        sizes = np.array([len(t.nodes) for t in trees], dtype=np.intp)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        nodes = np.concatenate([t.nodes for t in trees])
        owner = np.repeat(offsets, sizes)  # each node's tree offset: child indices are per tree
        leaf = nodes["is_leaf"].astype(bool)
        here = np.arange(len(nodes), dtype=np.intp)
        # leaves point at themselves, so every tree can take the same number of steps
        self._left = np.where(leaf, here, owner + nodes["left"].astype(np.intp))
        self._right = np.where(leaf, here, owner + nodes["right"].astype(np.intp))
        self._feature = np.where(leaf, 0, nodes["feature_idx"]).astype(np.intp)
        self._threshold = nodes["num_threshold"].astype(np.float64)
        self._missing_left = nodes["missing_go_to_left"].astype(bool)
        self._value = nodes["value"].astype(np.float64)
        self._roots = offsets
        self._depth = int(nodes["depth"].max())
        self._baseline = float(np.asarray(model._baseline_prediction).ravel()[0])
        self._imputer = imputer
        self.n_features = n_features

    def raw_one(self, x: NDArray[np.float64]) -> float:
        """The raw (log-odds) score of one row of ``n_features`` values (NaN = missing)."""
        if self._imputer is not None:
            x = self._imputer.apply(x)
        node = self._roots
        for _ in range(self._depth):
            value = x[self._feature[node]]
            left = np.where(np.isnan(value), self._missing_left[node], value <= self._threshold[node])
            node = np.where(left, self._left[node], self._right[node])
        # baseline, then each tree's leaf in tree order: scikit-learn's own sequence of additions
        terms = np.concatenate([[self._baseline], self._value[node]])
        return float(np.add.accumulate(terms)[-1])

    def proba_one(self, x: NDArray[np.float64]) -> float:
        """Probability of the positive class for one row."""
        return float(expit(self.raw_one(x)))

    def predict_proba(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """``predict_proba`` of the estimator, row by row (for checks, not for speed)."""
        positive = np.array([self.proba_one(row) for row in np.asarray(x, dtype=np.float64)])
        return np.column_stack([1.0 - positive, positive])


def _imputer(step: Any, n_features: int) -> _Imputer | None:
    if not isinstance(step, SimpleImputer) or step.strategy not in ("mean", "median", "constant"):
        return None
    if not (isinstance(step.missing_values, float) and np.isnan(step.missing_values)):
        return None
    stats = np.asarray(step.statistics_, dtype=np.float64)
    if stats.shape != (n_features,):
        return None
    empty = np.isnan(stats)
    keep = None
    if empty.any() and not step.keep_empty_features:
        keep = np.flatnonzero(~empty).astype(np.intp)
    indicator = None
    if step.add_indicator:
        indicator = np.asarray(step.indicator_.features_, dtype=np.intp)
        if step.indicator_.features != "missing-only" and len(indicator) != n_features:
            return None
    return _Imputer(keep=keep, fill=np.where(empty, 0.0, stats), indicator=indicator)


def compile_classifier(estimator: Any) -> CompiledClassifier | None:
    """The compiled form of ``estimator``, or ``None`` when it is not one this module knows:
    a fitted binary ``HistGradientBoostingClassifier`` on numeric features, alone or as the last
    step of a ``Pipeline`` whose only other step is a ``SimpleImputer`` for NaN."""
    imputer: _Imputer | None = None
    model = estimator
    if isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s is not None and s != "passthrough"]
        if len(steps) == 2:
            n_in = getattr(steps[0], "n_features_in_", None)
            imputer = _imputer(steps[0], n_in) if isinstance(n_in, int) else None
            if imputer is None:
                return None
        elif len(steps) != 1:
            return None
        model = steps[-1]
    if not isinstance(model, HistGradientBoostingClassifier) or not hasattr(model, "_predictors"):
        return None
    if model.n_trees_per_iteration_ != 1 or len(model.classes_) != 2:
        return None
    if getattr(model, "_preprocessor", None) is not None:  # categorical features are encoded first
        return None
    if getattr(model, "is_categorical_", None) is not None and bool(np.any(model.is_categorical_)):
        return None
    n_features = int(getattr(estimator, "n_features_in_", model.n_features_in_))
    return CompiledClassifier(n_features, imputer, model)


def probe_rows(
    n_features: int, reference: NDArray[np.float64] | None = None, n: int = 256
) -> NDArray[np.float64]:
    """Rows to compare a compiled model with its estimator (deterministic): one all-missing row,
    one of zeros, ``n`` rows drawn from ``reference`` (e.g. training rows; log-normal values
    without it), and as many again scaled by 0.5, 1 or 2 with a fifth of the cells missing."""
    rng = np.random.default_rng(0)
    rows = [np.full(n_features, np.nan), np.zeros(n_features)]
    if reference is not None and len(reference):
        base = np.asarray(reference, dtype=np.float64)[rng.integers(0, len(reference), n)]
    else:
        base = rng.lognormal(2.0, 2.0, size=(n, n_features))
    scaled = base * rng.choice([0.5, 1.0, 2.0], size=base.shape)
    scaled[rng.random(base.shape) < 0.2] = np.nan
    return np.vstack([rows, base, scaled])


def agrees(
    compiled: CompiledClassifier, estimator: Any, rows: NDArray[np.float64], tolerance: float = 1e-12
) -> bool:
    """The compiled model's probabilities equal the estimator's on ``rows`` (within ``tolerance``)."""
    expected = np.asarray(estimator.predict_proba(rows))[:, 1]
    return bool(np.allclose(compiled.predict_proba(rows)[:, 1], expected, rtol=0.0, atol=tolerance))

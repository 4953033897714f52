"""The compiled tree ensemble scores exactly as the fitted scikit-learn estimator it came from."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.compiled import agrees, compile_classifier, probe_rows

pytestmark = pytest.mark.unit


def _data(
    n: int = 600, features: int = 6, missing: float = 0.15, seed: int = 0, empty_column: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(2.0, 1.5, size=(n, features))
    y = (x[:, 0] * 0.3 + x[:, 1] > np.median(x[:, 0] * 0.3 + x[:, 1])).astype(int)
    x[rng.random(x.shape) < missing] = np.nan
    if empty_column:
        x[:, -1] = np.nan  # a column never seen with a value
    return x, y


def _hgb(**kw: object) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=60, random_state=0, **kw)


PIPELINES = {
    "the trained shape (median, indicator, empty kept)": lambda: Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("model", _hgb()),
        ]
    ),
    "mean imputer, empty column dropped": lambda: Pipeline(
        [("impute", SimpleImputer(strategy="mean")), ("model", _hgb())]
    ),
    "constant imputer with indicator": lambda: Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=-1.0, add_indicator=True)),
            ("model", _hgb()),
        ]
    ),
    "the model alone (NaN routed by the trees)": lambda: _hgb(),
    "deep trees": lambda: _hgb(max_leaf_nodes=None, max_depth=12),
}


WITH_EMPTY_COLUMN = {
    "the trained shape (median, indicator, empty kept)",
    "mean imputer, empty column dropped",
}


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values:UserWarning")
@pytest.mark.parametrize("name", PIPELINES)
def test_compiled_probabilities_equal_the_estimators_bit_for_bit(name: str) -> None:
    x, y = _data(empty_column=name in WITH_EMPTY_COLUMN)
    estimator = PIPELINES[name]().fit(x, y)
    compiled = compile_classifier(estimator)
    assert compiled is not None
    rows = np.vstack([x[:50], probe_rows(x.shape[1], reference=x)])

    got = compiled.predict_proba(rows)
    want = estimator.predict_proba(rows)

    assert np.array_equal(got, want), np.abs(got - want).max()
    assert agrees(compiled, estimator, rows)
    assert compiled.proba_one(rows[3]) == want[3, 1]
    if name == "mean imputer, empty column dropped":
        assert estimator[-1].n_features_in_ == x.shape[1] - 1  # the empty column is gone


def test_a_split_exactly_on_its_threshold_goes_left_as_in_scikit_learn() -> None:
    x, y = _data(missing=0.0, features=3)
    estimator = _hgb().fit(x, y)
    compiled = compile_classifier(estimator)
    assert compiled is not None
    node = next(n for t in estimator._predictors for n in t[0].nodes if not n["is_leaf"])
    row = np.nanmedian(x, axis=0)
    row[node["feature_idx"]] = node["num_threshold"]  # on the threshold, and just above it
    above = row.copy()
    above[node["feature_idx"]] = np.nextafter(node["num_threshold"], np.inf)
    assert compiled.proba_one(row) == estimator.predict_proba(row.reshape(1, -1))[0, 1]
    assert compiled.proba_one(above) == estimator.predict_proba(above.reshape(1, -1))[0, 1]


@pytest.mark.parametrize(
    "estimator",
    [
        pytest.param(RandomForestClassifier(n_estimators=5, random_state=0), id="another ensemble"),
        pytest.param(
            Pipeline([("scale", StandardScaler()), ("model", _hgb())]), id="another preprocessing step"
        ),
        pytest.param(_hgb(categorical_features=[0]), id="categorical splits"),
    ],
)
def test_what_it_does_not_know_is_left_to_the_estimator(estimator: object) -> None:
    x, y = _data(missing=0.0)
    x[:, -1] = 1.0
    x[:, 0] = np.floor(x[:, 0]) % 5
    estimator.fit(x, y)  # type: ignore[attr-defined]
    assert compile_classifier(estimator) is None


def test_multiclass_is_left_to_the_estimator() -> None:
    x, _ = _data(missing=0.0)
    x[:, -1] = 1.0
    y = np.arange(len(x)) % 3
    assert compile_classifier(_hgb().fit(x, y)) is None


def test_agrees_is_false_when_the_compiled_form_answers_otherwise() -> None:
    x, y = _data(empty_column=True)
    estimator = PIPELINES["the trained shape (median, indicator, empty kept)"]().fit(x, y)
    compiled = compile_classifier(estimator)
    assert compiled is not None
    other = PIPELINES["the trained shape (median, indicator, empty kept)"]().fit(x, 1 - y)
    assert not agrees(compiled, other, probe_rows(x.shape[1], reference=x))

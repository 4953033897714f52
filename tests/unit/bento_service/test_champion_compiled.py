"""The champion serves a compiled form only when it has one that answers as the estimator does;
anything else is scored by the estimator (the compiled form is an optimisation, never a failure)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

from bento_service.champion import ChampionModel

pytestmark = pytest.mark.unit


@pytest.fixture
def champion(tmp_path: Path) -> ChampionModel:
    return ChampionModel(f"sqlite:///{tmp_path / 'mlflow.db'}", "fraud")


def _fitted(estimator):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    return estimator.fit(x, (x[:, 0] > 0).astype(int))


def test_a_known_model_is_compiled(champion: ChampionModel) -> None:
    model = _fitted(HistGradientBoostingClassifier(max_iter=20))
    compiled = champion._compiled(model, "1", 3)
    assert compiled is not None
    row = np.array([0.5, np.nan, -1.0])
    assert compiled.proba_one(row) == model.predict_proba(row.reshape(1, -1))[0, 1]


def test_another_estimator_is_scored_as_it_is(champion: ChampionModel) -> None:
    assert champion._compiled(_fitted(RandomForestClassifier(n_estimators=3)), "1", 3) is None


def test_a_signature_that_disagrees_with_the_model_keeps_the_estimator(
    champion: ChampionModel, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert champion._compiled(_fitted(HistGradientBoostingClassifier(max_iter=20)), "7", 4) is None
    assert "fraud v7: scored by the estimator, not compiled: the model takes 3 features" in caplog.text


def test_a_compiled_form_that_disagrees_keeps_the_estimator(
    champion: ChampionModel, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fitted(HistGradientBoostingClassifier(max_iter=20))
    other = _fitted(HistGradientBoostingClassifier(max_iter=5, learning_rate=0.5))
    monkeypatch.setattr("bento_service.champion.compile_classifier", lambda _: _compiled_of(other))
    with caplog.at_level(logging.WARNING):
        assert champion._compiled(model, "2", 3) is None
    assert "disagrees with the estimator" in caplog.text


def _compiled_of(model):
    from models.compiled import compile_classifier

    return compile_classifier(model)

"""Before a first promotion nothing is registered: said once, at start-up, not every poll."""

import logging

import pytest

from bento_service.champion import ChampionModel

pytestmark = pytest.mark.unit


def test_an_unregistered_champion_is_one_info_line_and_a_challenger_none(tmp_path, caplog):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    champion, challenger = ChampionModel(uri, "fraud"), ChampionModel(uri, "fraud", alias="challenger")
    with caplog.at_level(logging.DEBUG, logger="bento_service.champion"):
        for _ in range(3):  # start-up, then two polls
            assert champion.refresh() is False and challenger.refresh() is False
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bento_service.champion"]
    assert [s for s in said if s[0] != "DEBUG"] == [
        ("INFO", "no fraud@champion registered: rules decide alone until one is promoted")
    ]
    assert not champion.ready and champion.feature_service is None

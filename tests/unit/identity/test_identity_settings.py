from __future__ import annotations

import pytest

from identity import BlockingRule, Comparison, IdentitySettings, Level, block_on, default_settings
from identity.errors import InvalidSettings

pytestmark = pytest.mark.unit


def test_block_on_reads_like_the_dsl() -> None:
    assert block_on("last_name", "dob_year") == BlockingRule(fields=("last_name", "dob_year"))
    assert str(block_on("national_id")) == "block_on('national_id')"


def test_json_round_trip_keeps_the_version() -> None:
    s = default_settings()
    again = IdentitySettings.from_json(s.to_json())
    assert again == s
    assert again.settings_version == s.settings_version
    assert s.settings_version.startswith("default-v1-")


def test_validation_reports_every_error_at_once() -> None:
    bad = IdentitySettings(
        comparisons=(
            Comparison(name="x", field="shoe_size", levels=(Level(kind="jaro_winkler"),)),
            Comparison(name="x", field="dob", levels=()),
        ),
        blocking_rules=(block_on("nope"),),
        trained=True,
    )
    with pytest.raises(InvalidSettings) as e:
        bad.validate_all()
    text = "\n".join(e.value.errors)
    assert "unknown field 'shoe_size'" in text
    assert "threshold required" in text
    assert "duplicate name" in text
    assert "no levels" in text
    assert "unknown fields ['nope']" in text
    assert "need m and u" in text
    assert len(e.value.errors) >= 6


def test_default_settings_are_valid() -> None:
    default_settings().validate_all()

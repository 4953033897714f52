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


def test_training_keeps_levels_monotone_and_disagreement_never_for_a_match() -> None:
    """Levels the data barely shows must not outweigh an exact agreement; ``else`` weighs ≤ 0."""
    from identity import standardise, train

    people = [
        standardise({"first_name": f, "last_name": s, "dob": f"19{y:02d}0{m}1{d}", "city": c})
        for f in ("anna", "brian", "carol", "dennis", "esther", "faith")
        for s in ("kamau", "otieno", "wekesa", "korir")
        for y, m, d in ((60, 1, 2), (75, 3, 4), (88, 5, 6))
        for c in ("nairobi",)
    ]
    records = people + [r[:3] + ("",) + r[4:] for r in people[::3]]  # some duplicates without a dob
    trained = train(default_settings(), records, m_floor=0.01)
    for comparison, row in zip(trained.comparisons, trained.weights(), strict=True):
        assert row[-1] <= 1e-6, comparison.name
        assert all(w <= row[0] + 1e-6 for w in row[1:]), comparison.name
    ordered = train(default_settings(), records, m_floor=0.01, monotone="ordered")
    for comparison, row in zip(ordered.comparisons, ordered.weights(), strict=True):
        kinds = [lv.kind for lv in comparison.levels] + ["else"]
        assert all(row[x] <= min(row[:x]) + 1e-6 for x in range(1, len(row)) if kinds[x] != "exact"), (
            comparison.name
        )
    floored = train(default_settings(), records, m_floor=0.01, monotone="off")
    for comparison in floored.comparisons:  # no level's m below the floor (up to renormalising)
        assert all(
            m is not None and m >= 0.009 for m in [lv.m for lv in comparison.levels] + [comparison.else_m]
        )


def test_training_records_each_name_values_share_for_term_frequency() -> None:
    from identity import standardise, train

    surnames = ["kamau"] * 6 + ["otieno"] * 3 + ["kiprotich"]
    records = [
        standardise({"first_name": f"p{k}", "last_name": s, "dob": f"1980010{k % 9 + 1}"})
        for k, s in enumerate(surnames)
    ] + [standardise({"first_name": "q", "dob": "19900101"})]  # no surname: not counted
    trained = train(default_settings(), records)
    assert trained.term_frequencies["last_name"] == {"kamau": 0.6, "otieno": 0.3, "kiprotich": 0.1}
    assert "dob" not in trained.term_frequencies  # only comparisons declared with term_frequency
    assert IdentitySettings.from_json(trained.to_json()).term_frequencies == trained.term_frequencies

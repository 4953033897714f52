from datetime import date
from typing import Any

import pytest

from identity import IdentityRecord, SourceRecordRef, match

pytestmark = pytest.mark.unit


def rec(key: str = "a", **kw) -> IdentityRecord:
    return IdentityRecord(ref=SourceRecordRef("s", key), **kw)


GRACE: dict[str, Any] = {"first_name": "Grace", "last_name": "Wanjiru", "date_of_birth": date(1990, 4, 12)}

# (record a, record b, is_match, {attribute: expected level})
CASES = [
    pytest.param(
        rec(national_id="1234567", **GRACE),
        rec("b", national_id="1234567", **GRACE),
        True,
        {"national_id": "exact", "name": "exact", "date_of_birth": "exact"},
        id="same-id-same-person",
    ),
    pytest.param(
        rec(national_id="1234567", **GRACE),
        rec("b", national_id="7654321", **GRACE),
        False,
        {"national_id": "conflict"},
        id="different-national-ids-never-merge",
    ),
    pytest.param(
        rec(national_id="1234567", first_name="Grace", last_name="Wanjiru", date_of_birth=date(1990, 4, 12)),
        rec(
            "b", national_id="1234567", first_name="Peter", last_name="Otieno", date_of_birth=date(1970, 1, 1)
        ),
        False,
        {"national_id": "exact", "name": "different"},
        id="copied-national-id-is-evidence-not-proof",
    ),
    pytest.param(
        rec(phones=("+254712345678",), **GRACE),
        rec(
            "b",
            phones=("+254712345678",),
            first_name="Peter",
            last_name="Wanjiru",
            date_of_birth=date(1965, 3, 3),
        ),
        False,
        {"phone": "exact", "name": "different"},
        id="household-sharing-a-phone",
    ),
    pytest.param(
        rec(phones=("+254712345678",), **GRACE),
        rec("b", phones=("+254712345678",), **GRACE),
        True,
        {"phone": "exact"},
        id="same-phone-same-person",
    ),
    pytest.param(
        rec(emails=("g@x.co",), first_name="Grace", last_name="Wanjiru"),
        rec("b", emails=("g@x.co",), first_name="GRACE", last_name="Wanjiru Kamau"),
        True,
        {"email": "exact", "name": "fuzzy"},
        id="email-with-name-variation",
    ),
    pytest.param(
        rec(national_id="1234567", first_name="Grace", last_name="Wanjiru", date_of_birth=date(1990, 4, 12)),
        rec(
            "b",
            national_id="1234567",
            first_name="Grace",
            last_name="Wanjiru",
            date_of_birth=date(1990, 12, 4),
        ),
        True,
        {"date_of_birth": "fuzzy"},
        id="day-month-swapped",
    ),
    pytest.param(
        rec(phones=("+254712345678",), **GRACE),
        rec(
            "b",
            phones=("+254712345678",),
            first_name="Grace",
            last_name="Wanjiru",
            date_of_birth=date(1985, 1, 1),
        ),
        False,
        {"date_of_birth": "different"},
        id="phone-and-name-but-different-birthdays",
    ),
    pytest.param(
        rec(**GRACE),
        rec("b", **GRACE),
        False,
        {"phone": "null", "email": "null"},
        id="names-alone-never-link",
    ),
]


@pytest.mark.parametrize(("a", "b", "is_match", "levels"), CASES)
def test_match_levels(a, b, is_match, levels):
    decision = match(a, b)
    got = {e.attribute: e.level for e in decision.evidence}
    assert decision.is_match is is_match
    for attribute, level in levels.items():
        assert got[attribute] == level


@pytest.mark.parametrize(("a", "b", "is_match", "levels"), CASES)
def test_match_is_symmetric(a, b, is_match, levels):
    assert match(a, b).is_match is match(b, a).is_match

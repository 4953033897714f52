"""Table-driven: record pairs → expected comparison level."""

from __future__ import annotations

import pytest

from identity import FIELDS, default_settings, standardise
from identity._comparisons import CompiledComparison

pytestmark = pytest.mark.unit

COMPARISONS = {c.name: CompiledComparison(c) for c in default_settings().comparisons}


def rec(**values: str) -> tuple[str, ...]:
    return standardise(values)


CASES = [
    ("first_name", rec(first_name="William"), rec(first_name="william"), "exact"),
    ("first_name", rec(first_name="Bill"), rec(first_name="William"), "nickname"),
    ("first_name", rec(first_name="Jonathon"), rec(first_name="Jonathan"), "jaro_winkler(0.95)"),
    ("first_name", rec(first_name="Michaela"), rec(first_name="Micheala"), "jaro_winkler(0.95)"),
    (
        "first_name",
        rec(first_name="Kamau", last_name="Wanjiru"),
        rec(first_name="Wanjiru", last_name="Kamau"),
        "transposed(last_name)",
    ),
    ("first_name", rec(first_name="J"), rec(first_name="John"), "initial"),
    ("first_name", rec(first_name="Grace"), rec(first_name="Peter"), "else"),
    ("first_name", rec(first_name=""), rec(first_name="Peter"), "null"),
    ("dob", rec(dob="1990-03-04"), rec(dob="19900304"), "exact"),
    ("dob", rec(dob="19900304"), rec(dob="19900403"), "swapped_day_month"),
    ("dob", rec(dob="19900304"), rec(dob="19900314"), "levenshtein(1)"),
    ("dob", rec(dob="19900304"), rec(dob="19900327"), "same_year_month"),
    ("dob", rec(dob="19900304"), rec(dob="19910314"), "levenshtein(2)"),
    ("dob", rec(dob="19900104"), rec(dob="19901225"), "same_year"),
    ("dob", rec(dob="19900304"), rec(dob="19750611"), "else"),
    ("dob", rec(dob="not a date"), rec(dob="19750611"), "null"),
    ("national_id", rec(national_id="ID-12345678"), rec(national_id="id12345678"), "exact"),
    ("national_id", rec(national_id="12345678"), rec(national_id="12345679"), "levenshtein(1)"),
    ("national_id", rec(national_id="12345678"), rec(national_id="87654321"), "else"),
    ("phone", rec(phone="+254 711 000 111"), rec(phone="+254711000111"), "exact"),
    ("email", rec(email="A@x.com"), rec(email="a@x.com"), "exact"),
    ("middle_name", rec(middle_name="Nancy"), rec(middle_name="N"), "initial"),
    ("street", rec(street="Stanley Street"), rec(street="stanley streett"), "jaro_winkler(0.9)"),
    ("postcode", rec(postcode="4223"), rec(postcode="4233"), "levenshtein(1)"),
]


@pytest.mark.parametrize(("comparison", "a", "b", "expected"), CASES)
def test_level(comparison: str, a: tuple[str, ...], b: tuple[str, ...], expected: str) -> None:
    c = COMPARISONS[comparison]
    assert c.label(c.level(a, b)) == expected
    assert c.label(c.level(b, a)) == expected  # comparisons are symmetric


def test_standardise_orders_fields_and_dates() -> None:
    r = standardise({"first_name": " Zoë ", "dob": "12/31/1990"}, "MDY")
    assert len(r) == len(FIELDS)
    assert r[FIELDS.index("first_name")] == "zoe"
    assert r[FIELDS.index("dob")] == "19901231"

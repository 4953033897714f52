from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.standardise import (
    CURRENCY_EXPONENTS,
    AmountInput,
    StandardisationError,
    amount,
    amount_or_none,
    amount_str,
    currency_code,
    from_minor_units,
    to_minor_units,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("1500", "KES", "1500.00"),
        ("1500.5", "KES", "1500.50"),
        ("1,500.50", "KES", "1500.50"),
        ("1,234,567.89", "KES", "1234567.89"),
        ("  -250.75 ", "KES", "-250.75"),
        ("+10", "KES", "10.00"),
        (".5", "KES", "0.50"),
        ("1500.000", "KES", "1500.00"),  # trailing zeros are not extra precision
        ("-0.00", "KES", "0.00"),
        (1500, "kes", "1500.00"),  # currency is case-insensitive
        (1500.5, "KES", "1500.50"),
        (Decimal("99.99"), "USD", "99.99"),
        ("250000", "UGX", "250000"),
        ("250000.00", "UGX", "250000"),
        ("5000", "RWF", "5000"),
        ("1000", "JPY", "1000"),
        ("1.234", "KWD", "1.234"),
        ("0.005", "BHD", "0.005"),
        ("12000.50", "TZS", "12000.50"),
        ("99.95", "EUR", "99.95"),
        ("10.10", "GBP", "10.10"),
        ("250.00", "ZAR", "250.00"),
        ("5000", "NGN", "5000.00"),
    ],
)
def test_amount_quantises_to_minor_unit(raw: AmountInput, currency: str, expected: str) -> None:
    value = amount(raw, currency)
    assert value == Decimal(expected)
    assert str(value) == expected  # the exponent is the currency's, not the input's
    assert amount_str(raw, currency) == expected


@pytest.mark.parametrize(
    ("raw", "currency", "error"),
    [
        ("10.005", "KES", "more than 2 decimal places for KES"),
        ("250000.5", "UGX", "more than 0 decimal places for UGX"),
        ("1.2345", "KWD", "more than 3 decimal places"),
        (0.1 + 0.2, "KES", "more than 2 decimal places"),  # float noise
        (Decimal("1E-50"), "KES", "more than 2 decimal places"),
        ("NaN", "KES", "not a decimal number"),
        (Decimal("NaN"), "KES", "finite"),
        (Decimal("-Infinity"), "KES", "finite"),
        (float("inf"), "KES", "finite"),
        (float("nan"), "KES", "finite"),
        ("1e5", "KES", "not a decimal number"),
        ("KES 100", "KES", "not a decimal number"),
        ("1,50", "KES", "not a decimal number"),  # comma as decimal mark is ambiguous
        ("1 500", "KES", "not a decimal number"),
        ("", "KES", "not a decimal number"),
        ("1500.", "KES", "not a decimal number"),
        ("(100.00)", "KES", "not a decimal number"),
        (True, "KES", "not bool"),
        (Decimal("1E+50"), "KES", "too large"),
        ("99999999999999999.99", "KES", "exceed int64"),
        ("100", "XYZ", "currency: is not a supported ISO 4217 currency"),
        ("100", "", "currency:"),
        ("100", "KSH", "currency:"),  # colloquial, not ISO 4217
    ],
)
def test_amount_rejects(raw: AmountInput, currency: str, error: str) -> None:
    with pytest.raises(StandardisationError, match=error):
        amount(raw, currency)


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("10.005", "KES", "10.00"),  # half to even
        ("10.015", "KES", "10.02"),
        ("10.025", "KES", "10.02"),
        ("2.5", "UGX", "2"),
        ("3.5", "UGX", "4"),
        (0.1 + 0.2, "KES", "0.30"),
    ],
)
def test_amount_non_strict_rounds_half_even(raw: AmountInput, currency: str, expected: str) -> None:
    assert str(amount(raw, currency, strict=False)) == expected


@pytest.mark.parametrize(
    ("raw", "currency", "units"),
    [("1500.50", "KES", 150050), ("250000", "UGX", 250000), ("1.234", "KWD", 1234), ("-0.01", "USD", -1)],
)
def test_minor_units_round_trip(raw: str, currency: str, units: int) -> None:
    assert to_minor_units(raw, currency) == units
    assert from_minor_units(units, currency) == Decimal(raw)
    assert str(from_minor_units(units, currency)) == amount_str(raw, currency)


@pytest.mark.parametrize(("units", "error"), [(1.5, "integer"), (True, "integer"), (2**63, "int64")])
def test_from_minor_units_rejects(units: int, error: str) -> None:
    with pytest.raises(StandardisationError, match=error):
        from_minor_units(units, "KES")


@given(st.integers(-(2**63) + 1, 2**63 - 1), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_minor_units_round_trip_property(units: int, currency: str) -> None:
    assert to_minor_units(from_minor_units(units, currency), currency) == units


def test_currency_table_has_the_documented_exponents() -> None:
    assert {code: CURRENCY_EXPONENTS[code] for code in ("KES", "UGX", "RWF", "JPY", "KWD", "BHD", "USD")} == {
        "KES": 2, "UGX": 0, "RWF": 0, "JPY": 0, "KWD": 3, "BHD": 3, "USD": 2,
    }  # fmt: skip
    assert currency_code(" usd ") == "USD"


def test_amount_or_none() -> None:
    assert amount_or_none(None, "KES") is None
    assert amount_or_none("  ", "KES") is None
    assert amount_or_none("0", "KES") == Decimal("0.00")
    with pytest.raises(StandardisationError):
        amount_or_none("abc", "KES")

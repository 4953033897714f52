"""Amounts as :class:`~decimal.Decimal` at the minor-unit precision of their ISO 4217 currency.

Policy:

* The currency must be one the bank sees (:data:`CURRENCY_EXPONENTS`); codes are case-insensitive.
* **Sub-minor precision is rejected by default** (``strict=True``): ``"10.005"`` KES is an error, not
  ``10.00``, because a ledger never holds fractions of a cent and such a value means a wrong currency
  or a corrupt record. Extra trailing zeros are fine (``"1500.000"`` KES is ``1500.00``). The check is
  made on the value for every input type, so float noise such as ``0.1 + 0.2`` is rejected too.
  ``strict=False`` rounds to the minor unit with ``ROUND_HALF_EVEN`` (for computed values such as FX
  conversions or averages).
* Strings may carry a sign and comma thousands separators in correct groups (``"1,500.00"``); no
  currency symbols, exponents or other spellings. NaN and infinities are rejected.
* Negative amounts are allowed (debits, reversals); ``-0`` becomes ``0``.
* The amount in minor units must fit a signed 64-bit integer (Parquet/Feast ``int64``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final

from kernel.standardise._errors import StandardisationError, is_blank, show

__all__ = [
    "CURRENCY_EXPONENTS",
    "AmountInput",
    "amount",
    "amount_or_none",
    "amount_str",
    "currency_code",
    "from_minor_units",
    "to_minor_units",
]

AmountInput = str | int | float | Decimal

#: ISO 4217 code → number of minor-unit digits, for the currencies the bank's systems carry.
CURRENCY_EXPONENTS: Final = MappingProxyType(
    {
        # East African Community and neighbours
        "KES": 2, "UGX": 0, "TZS": 2, "RWF": 0, "BIF": 0, "SSP": 2, "ETB": 2, "SOS": 2, "CDF": 2,
        "DJF": 0,
        # rest of Africa
        "ZAR": 2, "NGN": 2, "GHS": 2, "ZMW": 2, "MWK": 2, "MZN": 2, "BWP": 2, "NAD": 2, "EGP": 2,
        "MAD": 2, "XOF": 0, "XAF": 0, "MUR": 2, "TND": 3, "LYD": 3,
        # trade and remittance corridors
        "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "SEK": 2, "NOK": 2, "DKK": 2,
        "AED": 2, "SAR": 2, "QAR": 2, "INR": 2, "CNY": 2, "HKD": 2, "SGD": 2,
        "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3,
    }
)  # fmt: skip

_CURRENCY_FIELD: Final = "currency"
_FIELD: Final = "amount"
_TEXT: Final = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?|[+-]?\.\d+")
_INT64_MAX: Final = 2**63 - 1
# Enough digits for any int64 count of minor units at any exponent, so quantize never overflows.
_CONTEXT: Final = Context(prec=40, rounding=ROUND_HALF_EVEN)


def currency_code(raw: str) -> str:
    """The upper-case ISO 4217 code; raises :class:`StandardisationError` for an unknown currency."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if code not in CURRENCY_EXPONENTS:
        raise StandardisationError(_CURRENCY_FIELD, "is not a supported ISO 4217 currency", show(raw))
    return code


def amount(raw: AmountInput, currency: str, *, strict: bool = True) -> Decimal:
    """``raw`` quantised to ``currency``'s minor unit (``Decimal('1500.00')`` for KES 1500)."""
    code = currency_code(currency)
    exponent = CURRENCY_EXPONENTS[code]
    value = _to_decimal(raw)
    quantum = Decimal(1).scaleb(-exponent)
    try:
        rounded = value.quantize(quantum, context=_CONTEXT)
    except InvalidOperation:
        raise StandardisationError(_FIELD, "is too large", show(raw)) from None
    if strict and rounded != value:
        raise StandardisationError(_FIELD, f"has more than {exponent} decimal places for {code}", show(raw))
    if abs(rounded.scaleb(exponent)) > _INT64_MAX:
        raise StandardisationError(_FIELD, "is too large (minor units exceed int64)", show(raw))
    return rounded.copy_abs() if rounded.is_zero() else rounded


def amount_or_none(raw: AmountInput | None, currency: str, *, strict: bool = True) -> Decimal | None:
    """Like :func:`amount`, but ``None`` for a blank value or a null marker."""
    return None if raw is None or is_blank(raw) else amount(raw, currency, strict=strict)


def amount_str(raw: AmountInput, currency: str, *, strict: bool = True) -> str:
    """The amount as a plain decimal string at minor precision: ``"1500.00"``, ``"250000"`` (UGX)."""
    return format(amount(raw, currency, strict=strict), "f")


def to_minor_units(raw: AmountInput, currency: str, *, strict: bool = True) -> int:
    """The amount as an integer count of minor units: KES ``"1500.50"`` → ``150050``."""
    code = currency_code(currency)
    return int(amount(raw, code, strict=strict).scaleb(CURRENCY_EXPONENTS[code]))


def from_minor_units(units: int, currency: str) -> Decimal:
    """The inverse of :func:`to_minor_units`: ``150050`` KES → ``Decimal('1500.50')``."""
    code = currency_code(currency)
    if isinstance(units, bool) or not isinstance(units, int):
        raise StandardisationError(_FIELD, "minor units must be an integer", show(units))
    if abs(units) > _INT64_MAX:
        raise StandardisationError(_FIELD, "is too large (minor units exceed int64)", show(units))
    exponent = CURRENCY_EXPONENTS[code]
    return Decimal(units).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent), context=_CONTEXT)


def _to_decimal(raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise StandardisationError(_FIELD, "expected a number, not bool", show(raw))
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))  # the shortest decimal that round-trips, not the binary expansion
    elif isinstance(raw, str):
        text = raw.strip()
        if not _TEXT.fullmatch(text):
            raise StandardisationError(_FIELD, "is not a decimal number", show(raw))
        value = Decimal(text.replace(",", ""))
    else:
        raise StandardisationError(_FIELD, f"expected a number, not {type(raw).__name__}", show(raw))
    if not value.is_finite():
        raise StandardisationError(_FIELD, "must be finite (not NaN or infinity)", show(raw))
    return value

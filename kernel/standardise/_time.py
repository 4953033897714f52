"""Timestamps to timezone-aware UTC, and dates of birth.

Timestamps (:func:`utc_timestamp`):

* ISO 8601 with or without offset, ``T`` or space separator, any number of fractional digits (SQL
  Server ``datetime2`` has seven; the excess beyond microseconds is truncated), ``Z``, `` UTC``, ``+03``,
  ``+0300``, ``+03:00``. A date alone means local midnight.
* **Naive values are local time of ``source_tz``** (default ``Africa/Nairobi``, UTC+3): the bank's
  systems store ``timestamp without time zone`` in local time. At a DST transition elsewhere,
  zoneinfo's ``fold=0`` rule applies.
* Epoch numbers (int, float, Decimal or a numeric string of at least nine digits), unit decided by
  magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds (Debezium
  ``MicroTimestamp``), below 1e20 nanoseconds.
* The result must fall in [1900-01-01, 2200-01-01) UTC; anything else is a unit or parsing mistake.

Dates of birth (:func:`date_of_birth`): ISO ``YYYY-MM-DD`` (a time part is ignored; an aware timestamp
is first converted to ``source_tz``, so ``1990-04-30T21:00:00Z`` stored for a Nairobi midnight gives
1990-05-01), ``YYYYMMDD``, ``YYYY/MM/DD``, and day-first ``DD/MM/YYYY`` (also ``-`` or ``.``, the Kenyan
convention; never month-first). Future dates, ages over 130 and the placeholders 1900-01-01 and
1899-12-30 are rejected. Two-digit years are rejected.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.errors import ConfigurationError
from kernel.standardise._errors import StandardisationError, is_blank, mask, show

__all__ = [
    "DEFAULT_SOURCE_TZ",
    "date_of_birth",
    "date_of_birth_or_none",
    "utc_timestamp",
    "utc_timestamp_or_none",
]

DEFAULT_SOURCE_TZ: Final = "Africa/Nairobi"
TimestampInput = str | datetime | int | float | Decimal

_FIELD: Final = "timestamp"
_DOB_FIELD: Final = "date_of_birth"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)
_NUMERIC: Final = re.compile(r"[+-]?\d{9,}(?:\.\d+)?")
# SQL Server writes ``… 10:15:00.1230000 +03:00``; some exports end in `` UTC``.
_SPACE_BEFORE_OFFSET: Final = re.compile(r"\s+(?=[+-]\d{2}(?::?\d{2})?$)")
_UTC_SUFFIX: Final = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)
# (upper bound of |value|, microseconds per unit) — seconds, milliseconds, microseconds, nanoseconds
_EPOCH_UNITS: Final = ((Decimal("1e11"), 10**6), (Decimal("1e14"), 10**3), (Decimal("1e17"), 1))
_NANOS_BOUND: Final = Decimal("1e20")

_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?")
_COMPACT_DATE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YEAR_FIRST: Final = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_DAY_FIRST: Final = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_MAX_AGE_YEARS: Final = 130
_PLACEHOLDER_DATES: Final = frozenset({date(1900, 1, 1), date(1899, 12, 30)})


def utc_timestamp(raw: TimestampInput, source_tz: str | tzinfo = DEFAULT_SOURCE_TZ) -> datetime:
    """``raw`` as an aware UTC datetime; raises :class:`StandardisationError`."""
    zone = _zone(source_tz)
    if isinstance(raw, bool):
        raise StandardisationError(_FIELD, "expected a timestamp, not bool", show(raw))
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, int | float | Decimal):
        value = _from_epoch(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if _NUMERIC.fullmatch(text):
            value = _from_epoch(text)
        else:
            text = _SPACE_BEFORE_OFFSET.sub("", _UTC_SUFFIX.sub("+00:00", text))
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise StandardisationError(_FIELD, "is not ISO 8601 or an epoch number", show(raw)) from None
    else:
        raise StandardisationError(_FIELD, f"expected a timestamp, not {type(raw).__name__}", show(raw))
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    result = value.astimezone(UTC)
    if not _EARLIEST <= result < _LATEST:
        raise StandardisationError(_FIELD, "is outside 1900-2200 (wrong epoch unit?)", show(raw))
    return result


def utc_timestamp_or_none(
    raw: TimestampInput | None, source_tz: str | tzinfo = DEFAULT_SOURCE_TZ
) -> datetime | None:
    """Like :func:`utc_timestamp`, but ``None`` for a blank value or a null marker."""
    return None if raw is None or is_blank(raw) else utc_timestamp(raw, source_tz)


def date_of_birth(
    raw: str | date, *, today: date | None = None, source_tz: str | tzinfo = DEFAULT_SOURCE_TZ
) -> date:
    """``raw`` as a plausible date of birth; raises :class:`StandardisationError`.

    ``today`` defaults to the current date in ``source_tz`` (pass it for reproducible results).
    """
    zone = _zone(source_tz)
    if isinstance(raw, datetime):
        born = raw.astimezone(zone).date() if raw.utcoffset() is not None else raw.date()
    elif isinstance(raw, date):
        born = raw
    elif isinstance(raw, str):
        born = _parse_date(raw.strip(), zone)
    else:
        raise StandardisationError(_DOB_FIELD, f"expected a date, not {type(raw).__name__}", mask(raw))
    today = today if today is not None else datetime.now(zone).date()
    if born > today:
        raise StandardisationError(_DOB_FIELD, "is in the future", mask(raw))
    if born in _PLACEHOLDER_DATES:
        raise StandardisationError(_DOB_FIELD, "is a placeholder date", mask(raw))
    if _years_between(born, today) > _MAX_AGE_YEARS:
        raise StandardisationError(_DOB_FIELD, f"gives an age over {_MAX_AGE_YEARS} years", mask(raw))
    return born


def date_of_birth_or_none(
    raw: str | date | None, *, today: date | None = None, source_tz: str | tzinfo = DEFAULT_SOURCE_TZ
) -> date | None:
    """Like :func:`date_of_birth`, but ``None`` for a blank value or a null marker."""
    if raw is None or is_blank(raw):
        return None
    return date_of_birth(raw, today=today, source_tz=source_tz)


@functools.lru_cache(maxsize=32)
def _zone_named(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"unknown time zone {name!r}") from None


def _zone(source_tz: str | tzinfo) -> tzinfo:
    return _zone_named(source_tz) if isinstance(source_tz, str) else source_tz


def _from_epoch(raw: int | float | Decimal | str) -> datetime:
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except InvalidOperation:
        raise StandardisationError(_FIELD, "is not a number", show(raw)) from None
    if not value.is_finite():
        raise StandardisationError(_FIELD, "must be finite (not NaN or infinity)", show(raw))
    magnitude = abs(value)
    if magnitude >= _NANOS_BOUND:
        raise StandardisationError(_FIELD, "is too large for an epoch timestamp", show(raw))
    micros = next((value * per_unit for bound, per_unit in _EPOCH_UNITS if magnitude < bound), value / 1000)
    return _EPOCH + timedelta(microseconds=int(micros))


def _parse_date(text: str, zone: tzinfo) -> date:
    if match := _ISO_DATE.fullmatch(text):
        if len(text) > 10:  # a timestamp: an aware one is read in the source zone
            try:
                stamp = datetime.fromisoformat(text)
            except ValueError:
                raise StandardisationError(_DOB_FIELD, "is not a date", mask(text)) from None
            return stamp.astimezone(zone).date() if stamp.utcoffset() is not None else stamp.date()
        year, month, day = match.groups()
    elif match := _COMPACT_DATE.fullmatch(text) or _YEAR_FIRST.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.fullmatch(text):
        day, _, month, year = match.groups()
    else:
        raise StandardisationError(_DOB_FIELD, "is not YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD", mask(text))
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise StandardisationError(_DOB_FIELD, "is not a calendar date", mask(text)) from None


def _years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

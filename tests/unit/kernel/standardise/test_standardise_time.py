from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from kernel.errors import ConfigurationError
from kernel.standardise import (
    StandardisationError,
    date_of_birth,
    date_of_birth_or_none,
    utc_timestamp,
    utc_timestamp_or_none,
)

pytestmark = pytest.mark.unit

NAIROBI_1015 = datetime(2024, 1, 31, 7, 15, tzinfo=UTC)  # 2024-01-31 10:15 in Nairobi (UTC+3)
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # naive values are Nairobi local time
        ("2024-01-31 10:15:00", NAIROBI_1015),
        ("2024-01-31T10:15:00", NAIROBI_1015),
        ("2024-01-31T10:15", NAIROBI_1015),
        ("2024-01-31 10:15:00.123", NAIROBI_1015.replace(microsecond=123000)),  # SQL Server datetime
        ("2024-01-31 10:15:00.1234567", NAIROBI_1015.replace(microsecond=123456)),  # datetime2(7)
        ("20240131T101500", NAIROBI_1015),
        ("2024-01-31", datetime(2024, 1, 30, 21, 0, tzinfo=UTC)),  # local midnight
        (datetime(2024, 1, 31, 10, 15), NAIROBI_1015),
        # explicit offsets win
        ("2024-01-31T07:15:00Z", NAIROBI_1015),
        ("2024-01-31T10:15:00+03:00", NAIROBI_1015),
        ("2024-01-31 10:15:00+03", NAIROBI_1015),  # PostgreSQL text output
        ("2024-01-31 10:15:00+0300", NAIROBI_1015),
        ("2024-01-31 10:15:00.0000000 +03:00", NAIROBI_1015),  # SQL Server datetimeoffset
        ("2024-01-31 07:15:00 UTC", NAIROBI_1015),
        ("2024-01-31T08:15:00+01:00", NAIROBI_1015),
        (datetime(2024, 1, 31, 7, 15, tzinfo=UTC), NAIROBI_1015),
        # epoch numbers, unit by magnitude
        (1706685300, NAIROBI_1015),
        ("1706685300", NAIROBI_1015),
        (1706685300.5, NAIROBI_1015.replace(microsecond=500000)),
        (Decimal("1706685300.25"), NAIROBI_1015.replace(microsecond=250000)),
        (1706685300123, NAIROBI_1015.replace(microsecond=123000)),
        ("1706685300123", NAIROBI_1015.replace(microsecond=123000)),
        (1706685300123456, NAIROBI_1015.replace(microsecond=123456)),  # Debezium MicroTimestamp
        (1706685300123456789, NAIROBI_1015.replace(microsecond=123456)),  # nanoseconds
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_utc_timestamp(raw: str | datetime | int | float | Decimal, expected: datetime) -> None:
    result = utc_timestamp(raw)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "source_tz", "expected"),
    [
        ("2024-01-31 07:15:00", "UTC", NAIROBI_1015),
        ("2024-01-31 02:15:00", timezone(timedelta(hours=-5)), NAIROBI_1015),
        ("2024-01-31 08:15:00", "Europe/London", datetime(2024, 1, 31, 8, 15, tzinfo=UTC)),
        ("2024-01-31T10:15:00+03:00", "UTC", NAIROBI_1015),  # an offset beats source_tz
    ],
)
def test_utc_timestamp_source_tz_is_a_parameter(
    raw: str, source_tz: str | timezone, expected: datetime
) -> None:
    assert utc_timestamp(raw, source_tz) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "not ISO 8601"),
        ("yesterday", "not ISO 8601"),
        ("31/01/2024 10:15", "not ISO 8601"),  # day/month order is not guessed for timestamps
        ("2024-1-31", "not ISO 8601"),
        ("2024-01-31 25:00:00", "not ISO 8601"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (True, "not bool"),
        (10**20, "too large"),
        (99999999999, "outside 1900-2200"),  # ms of 1973 read as... nothing silently
        ("1850-01-01T00:00:00Z", "outside 1900-2200"),
        (date(2024, 1, 31), "not date"),
    ],
)
def test_utc_timestamp_rejects(raw: object, error: str) -> None:
    with pytest.raises(StandardisationError, match=error):
        utc_timestamp(raw)  # type: ignore[arg-type]


def test_utc_timestamp_unknown_zone_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        utc_timestamp("2024-01-31", "Mars/Olympus")


def test_utc_timestamp_or_none() -> None:
    assert utc_timestamp_or_none(None) is None
    assert utc_timestamp_or_none(" ") is None
    assert utc_timestamp_or_none("2024-01-31 10:15") == NAIROBI_1015
    with pytest.raises(StandardisationError):
        utc_timestamp_or_none("soon")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-05-01", date(1990, 5, 1)),
        ("01/05/1990", date(1990, 5, 1)),  # day-first (Kenyan)
        ("1/5/1990", date(1990, 5, 1)),
        ("01-05-1990", date(1990, 5, 1)),
        ("01.05.1990", date(1990, 5, 1)),
        ("31/12/1985", date(1985, 12, 31)),
        ("19900501", date(1990, 5, 1)),
        ("1990/05/01", date(1990, 5, 1)),
        ("1990-05-01 00:00:00", date(1990, 5, 1)),
        ("01/05/1990 00:00:00", date(1990, 5, 1)),
        ("1990-04-30T21:00:00Z", date(1990, 5, 1)),  # timestamptz of a Nairobi midnight
        ("1990-05-01T00:00:00+03:00", date(1990, 5, 1)),
        (datetime(1990, 4, 30, 21, 0, tzinfo=UTC), date(1990, 5, 1)),
        (datetime(1990, 5, 1, 0, 0), date(1990, 5, 1)),
        (date(1990, 5, 1), date(1990, 5, 1)),
        ("2000-02-29", date(2000, 2, 29)),
        ("2026-03-01", TODAY),  # born today
        ("1896-02-29", date(1896, 2, 29)),  # 130
        ("1895-03-02", date(1895, 3, 2)),  # still 130, 131 tomorrow
        ("1970-01-01", date(1970, 1, 1)),  # a real date, not treated as a placeholder
    ],
)
def test_date_of_birth(raw: str | date, expected: date) -> None:
    assert date_of_birth(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("2026-03-02", "in the future"),
        ("02/03/2026", "in the future"),
        ("1900-02-29", "not a calendar date"),  # 1900 was not a leap year
        ("1895-03-01", "over 130"),  # 131 today
        ("0001-01-01", "over 130"),  # .NET DateTime.MinValue
        ("1753-01-01", "over 130"),  # SQL Server datetime minimum
        ("1900-01-01", "placeholder"),
        ("30/12/1899", "placeholder"),
        ("31/02/1990", "not a calendar date"),
        ("1990-13-01", "not a calendar date"),
        ("05/01/90", "not YYYY-MM-DD"),  # two-digit year
        ("1 May 1990", "not YYYY-MM-DD"),
        ("", "not YYYY-MM-DD"),
        ("1990-05-01Tnope", "not a date"),
        (19900501, "expected a date"),
    ],
)
def test_date_of_birth_rejects(raw: object, error: str) -> None:
    with pytest.raises(StandardisationError, match=error) as caught:
        date_of_birth(raw, today=TODAY)  # type: ignore[arg-type]
    assert caught.value.field == "date_of_birth"


def test_date_of_birth_today_defaults_to_the_clock() -> None:
    assert date_of_birth("1990-05-01") == date(1990, 5, 1)
    with pytest.raises(StandardisationError, match="future"):
        date_of_birth(date.today() + timedelta(days=2))


def test_date_of_birth_or_none() -> None:
    assert date_of_birth_or_none(None) is None
    assert date_of_birth_or_none("") is None
    assert date_of_birth_or_none("01/05/1990", today=TODAY) == date(1990, 5, 1)
    with pytest.raises(StandardisationError):
        date_of_birth_or_none("soon", today=TODAY)

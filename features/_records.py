"""Profile and risk state kept per source record, aggregated per GCID when a row is computed.

A GCID is a set of source records that identity resolution can merge or split. Keeping the slowly
changing state (KYC tier, segment, accounts, AML rating, credit score, open alerts) per record
makes both operations a move of dictionary entries, and the GCID's row a pure function of its
records' states:

* ``first_seen`` is the earliest over the records; ``kyc_tier``, ``segment`` and ``credit_score``
  are the newest value by event time over the records (ties: the later arrival);
* ``aml_rating`` is the highest of the records' newest ratings (the strictest view of a customer
  known under several records);
* accounts and open alerts are unions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

__all__ = ["RecordKey", "RecordProfile", "RecordRisk", "newest", "profile_values", "risk_values"]

RecordKey = tuple[str, str]
"""``(source_system, source_key)`` of the customer record an event belongs to."""

_V = TypeVar("_V")


def newest(a: tuple[datetime, _V] | None, b: tuple[datetime, _V] | None) -> tuple[datetime, _V] | None:
    """The value stamped later (``b`` on a tie: it arrived later)."""
    if a is None:
        return b
    if b is None:
        return a
    return b if b[0] >= a[0] else a


@dataclass(slots=True)
class RecordProfile:
    first_seen: datetime | None = None
    kyc_tier: tuple[datetime, int] | None = None
    segment: tuple[datetime, str] | None = None
    accounts: dict[str, tuple[str, bool]] = field(default_factory=dict)  # key -> (type, open)

    def seen(self, at: datetime) -> None:
        self.first_seen = at if self.first_seen is None else min(self.first_seen, at)

    def absorb(self, other: RecordProfile) -> None:
        if other.first_seen is not None:
            self.seen(other.first_seen)
        self.kyc_tier = newest(self.kyc_tier, other.kyc_tier)
        self.segment = newest(self.segment, other.segment)
        self.accounts = {**other.accounts, **self.accounts}


@dataclass(slots=True)
class RecordRisk:
    aml_rating: tuple[datetime, int] | None = None
    credit_score: tuple[datetime, float] | None = None
    open_alerts: set[str] = field(default_factory=set)

    def absorb(self, other: RecordRisk) -> None:
        self.aml_rating = newest(self.aml_rating, other.aml_rating)
        self.credit_score = newest(self.credit_score, other.credit_score)
        self.open_alerts |= other.open_alerts


def _newest_of(values: Iterable[tuple[datetime, _V] | None]) -> _V | None:
    best: tuple[datetime, _V] | None = None
    for value in values:
        best = newest(best, value)
    return None if best is None else best[1]


def profile_values(profiles: Iterable[RecordProfile], at: datetime) -> dict[str, int | float | str | None]:
    states = list(profiles)
    firsts = [p.first_seen for p in states if p.first_seen is not None]
    accounts: dict[str, tuple[str, bool]] = {}
    for p in states:
        accounts.update(p.accounts)
    return {
        "tenure_days": max(0, (at - min(firsts)).days) if firsts else None,
        "kyc_tier": _newest_of(p.kyc_tier for p in states),
        "segment": _newest_of(p.segment for p in states),
        "products_held": len({kind for kind, is_open in accounts.values() if is_open}),
    }


def risk_values(risks: Iterable[RecordRisk]) -> dict[str, int | float | str | None]:
    states = list(risks)
    ratings = [r.aml_rating[1] for r in states if r.aml_rating is not None]
    alerts: set[str] = set()
    for r in states:
        alerts |= r.open_alerts
    return {
        "aml_rating": max(ratings, default=0),
        "credit_score": _newest_of(r.credit_score for r in states),
        "open_fraud_alerts": len(alerts),
    }

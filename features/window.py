"""Sliding 24 h transaction velocity per GCID: a pure, infrastructure-free aggregator.

Window convention: the row *as of* ``t`` counts the transactions with ``occurred_at`` in the
half-open interval ``(t - 24h, t]``. A transaction exactly 24 h older than ``t`` is OUT; one
24 h minus 1 µs older is IN; one at ``t`` itself is IN; one after ``t`` is OUT.

Stream semantics:

* **Idempotent on event_id.** Observing an event id again changes nothing and returns the row as
  of the first observation's time and GCID (first observation wins).
* **Out of order.** The *watermark* is the latest ``occurred_at`` seen. An event older than the
  watermark is inserted where it belongs, so every later window counts it; ``observe`` returns
  the row as of the event's own time, and :meth:`TransactionVelocity.latest` the row as of the
  GCID's newest transaction (push both when an event was late so the online value stays current).
* **Bounded memory.** Windows ending before ``watermark - max_lateness`` are final, so entries
  with ``occurred_at <= watermark - max_lateness - window`` (the *horizon*) are dropped, with their
  event ids. An event at or before the horizon belongs to no window that can still be read: it is
  not stored (counted in ``too_late``) and its returned row is best effort. An event between the
  horizon and ``watermark - max_lateness`` is stored (later windows need it) but its own row may
  miss already-dropped predecessors.
* **Identity merges and splits.** :meth:`TransactionVelocity.rekey` moves a merged GCID's history
  under the survivor; :meth:`TransactionVelocity.split` moves the transactions of the split-off
  source records (the ``record`` given to ``observe``) to the new GCID.

Amounts are summed exactly as :class:`~decimal.Decimal` (floats are converted through their
shortest repr) and reported as ``float`` in major currency units, one currency per aggregator.
"""

from __future__ import annotations

import heapq
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from features._records import RecordKey

__all__ = ["DEFAULT_MAX_LATENESS", "WINDOW", "TransactionVelocity", "VelocityRow"]

_log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
DEFAULT_MAX_LATENESS = timedelta(hours=1)
_ZERO = Decimal(0)
_Entry = tuple[datetime, str, Decimal, RecordKey | None]  # (occurred_at, event_id, amount, record)


@dataclass(frozen=True, slots=True)
class VelocityRow:
    """One feature row of the ``transaction_velocity`` view, as of ``event_timestamp``."""

    gcid: str
    event_timestamp: datetime
    txn_count_24h: int
    txn_amount_sum_24h: float


@dataclass(slots=True)
class _History:
    """One GCID's retained transactions, sorted by time (ties in arrival order)."""

    times: list[datetime] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    amounts: list[Decimal] = field(default_factory=list)
    records: list[RecordKey | None] = field(default_factory=list)

    def insert(self, at: datetime, event_id: str, amount: Decimal, record: RecordKey | None = None) -> None:
        index = bisect_right(self.times, at)
        self.times.insert(index, at)
        self.event_ids.insert(index, event_id)
        self.amounts.insert(index, amount)
        self.records.insert(index, record)

    def remove(self, at: datetime, event_id: str) -> None:
        index = bisect_left(self.times, at)
        while self.event_ids[index] != event_id:
            index += 1
        del self.times[index], self.event_ids[index], self.amounts[index], self.records[index]

    def window(self, start_exclusive: datetime, end_inclusive: datetime) -> tuple[int, Decimal]:
        lo = bisect_right(self.times, start_exclusive)
        hi = bisect_right(self.times, end_inclusive)
        return hi - lo, sum(self.amounts[lo:hi], _ZERO)

    def entries(self) -> list[_Entry]:
        return list(zip(self.times, self.event_ids, self.amounts, self.records, strict=True))

    @classmethod
    def of(cls, entries: list[_Entry]) -> _History:
        ordered = sorted(entries, key=lambda entry: entry[0])
        return cls(
            [e[0] for e in ordered], [e[1] for e in ordered], [e[2] for e in ordered], [e[3] for e in ordered]
        )

    def absorb(self, other: _History) -> None:
        merged = _History.of(self.entries() + other.entries())
        self.times, self.event_ids, self.amounts, self.records = (
            merged.times,
            merged.event_ids,
            merged.amounts,
            merged.records,
        )


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def _decimal(amount: Decimal | float) -> Decimal:
    value = amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))
    if not value.is_finite():
        raise ValueError(f"amount must be finite, got {amount!r}")
    return value


class TransactionVelocity:
    """Count and sum of each GCID's transactions over a sliding window (default 24 h)."""

    def __init__(self, *, window: timedelta = WINDOW, max_lateness: timedelta = DEFAULT_MAX_LATENESS) -> None:
        if window <= timedelta(0) or max_lateness < timedelta(0):
            raise ValueError("window must be positive and max_lateness non-negative")
        self._window = window
        self._max_lateness = max_lateness
        self._histories: dict[str, _History] = {}
        self._events: dict[str, tuple[str, datetime]] = {}  # event_id -> (gcid, occurred_at)
        self._expiry: list[tuple[datetime, str]] = []  # min-heap of (occurred_at, event_id)
        self._watermark: datetime | None = None
        self.too_late = 0
        """Events ignored because they were at or before the horizon."""

    @property
    def watermark(self) -> datetime | None:
        """The latest ``occurred_at`` observed so far."""
        return self._watermark

    @property
    def horizon(self) -> datetime | None:
        """Entries at or before this instant are dropped; ``None`` before the first event."""
        if self._watermark is None:
            return None
        return self._watermark - self._max_lateness - self._window

    def __len__(self) -> int:
        """Number of retained transactions (bounded by the traffic of window + max_lateness)."""
        return len(self._events)

    def gcids(self) -> frozenset[str]:
        return frozenset(self._histories)

    def observe(
        self,
        gcid: str,
        occurred_at: datetime,
        amount: Decimal | float,
        event_id: str,
        *,
        record: RecordKey | None = None,
    ) -> VelocityRow:
        """Record one transaction and return the row as of its own ``occurred_at``."""
        at = _utc(occurred_at, "occurred_at")
        seen = self._events.get(event_id)
        if seen is not None:
            return self.as_of(*seen)
        value = _decimal(amount)
        if self._watermark is None or at > self._watermark:
            self._watermark = at
            self._expire()
        horizon = self.horizon
        assert horizon is not None
        if at <= horizon:
            self.too_late += 1
            _log.debug("event %s at %s is at or before the horizon %s: ignored", event_id, at, horizon)
            return self.as_of(gcid, at)
        self._histories.setdefault(gcid, _History()).insert(at, event_id, value, record)
        self._events[event_id] = (gcid, at)
        heapq.heappush(self._expiry, (at, event_id))
        return self.as_of(gcid, at)

    def as_of(self, gcid: str, t: datetime) -> VelocityRow:
        """The row of ``gcid`` as of ``t``: transactions with ``occurred_at`` in ``(t - window, t]``."""
        at = _utc(t, "t")
        history = self._histories.get(gcid)
        count, total = history.window(at - self._window, at) if history else (0, _ZERO)
        return VelocityRow(
            gcid=gcid, event_timestamp=at, txn_count_24h=count, txn_amount_sum_24h=float(total)
        )

    def latest(self, gcid: str) -> VelocityRow | None:
        """The row as of ``gcid``'s newest retained transaction, or ``None`` if none is retained."""
        history = self._histories.get(gcid)
        if not history:
            return None
        return self.as_of(gcid, history.times[-1])

    def rekey(self, from_gcid: str, to_gcid: str) -> VelocityRow | None:
        """Move ``from_gcid``'s history under the survivor ``to_gcid`` (identity merge).

        Returns the survivor's :meth:`latest` row (to push), ``None`` if it has no history.
        """
        if from_gcid != to_gcid:
            moved = self._histories.pop(from_gcid, None)
            if moved is not None:
                for event_id, at in zip(moved.event_ids, moved.times, strict=True):
                    self._events[event_id] = (to_gcid, at)
                survivor = self._histories.get(to_gcid)
                if survivor is None:
                    self._histories[to_gcid] = moved
                else:
                    survivor.absorb(moved)
        return self.latest(to_gcid)

    def split(
        self, gcid: str, new_gcid: str, records: Collection[RecordKey], at: datetime
    ) -> tuple[VelocityRow, VelocityRow] | None:
        """Move the transactions of ``records`` from ``gcid`` to ``new_gcid`` (identity split).

        Returns the rows to push: the old GCID's :meth:`latest` (an empty row stamped ``at`` if
        nothing is left) and the new GCID's; ``None`` if no transaction moved.
        """
        history = self._histories.get(gcid)
        moved = set(records)
        if gcid == new_gcid or history is None or not moved.intersection(history.records):
            return None
        staying: list[_Entry] = []
        going: list[_Entry] = []
        for entry in history.entries():
            (going if entry[3] in moved else staying).append(entry)
        if staying:
            self._histories[gcid] = _History.of(staying)
        else:
            del self._histories[gcid]
        target = self._histories.get(new_gcid)
        self._histories[new_gcid] = _History.of(going + (target.entries() if target else []))
        for at_, event_id, _, _ in going:
            self._events[event_id] = (new_gcid, at_)
        old = self.latest(gcid) or VelocityRow(gcid, _utc(at, "at"), 0, 0.0)
        new = self.latest(new_gcid)
        assert new is not None
        return old, new

    def _expire(self) -> None:
        horizon = self.horizon
        assert horizon is not None
        while self._expiry and self._expiry[0][0] <= horizon:
            at, event_id = heapq.heappop(self._expiry)
            gcid, _ = self._events.pop(event_id)
            history = self._histories[gcid]
            history.remove(at, event_id)
            if not history.times:
                del self._histories[gcid]

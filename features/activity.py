"""Streaming customer features by GCID: a pure, infrastructure-free aggregator.

:class:`CustomerActivity` keeps each GCID's recent transactions and logins plus its profile and
risk state, and answers the rows of the catalog's streamed views (``feature_repo.catalog``):

* ``transaction_windows`` and ``counterparty_novelty`` as of a transaction's time ``t``;
* ``login_device`` as of a login's time;
* ``customer_profile`` and ``customer_risk`` as of the change's time.

Amounts are summed exactly as :class:`~decimal.Decimal` (a float is converted through its shortest
repr) and reported as ``float`` in major currency units.

Window convention: the row as of ``t`` aggregates the events with ``occurred_at`` in the half-open
interval ``(t - w, t]`` (an event exactly ``w`` older than ``t`` is out, one at ``t`` itself is in,
one after ``t`` is out). Events are idempotent on ``event_id`` (first
observation wins); out-of-order events are inserted where they belong; entries older than
``watermark - max_lateness - 30 d`` (the longest window) are dropped.

Identity: every observation may name the source record it belongs to (``record``); transactions
and logins carry it, profile and risk state is kept per record (:mod:`features._records`)
and aggregated per GCID. ``rekey`` moves a merged GCID's state under the survivor; ``split`` moves
the split-off records' state to the new GCID and recomputes both GCIDs' rows (a view the old GCID
no longer has any state for gets an empty row, so the online store forgets the moved records).
Observations without a record stay with the GCID they were observed under.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from feature_repo.catalog import (
    CHANNELS,
    COUNTERPARTY_NOVELTY,
    CUSTOMER_PROFILE,
    CUSTOMER_RISK,
    LOGIN_DEVICE,
    TRANSACTION_WINDOWS,
    WINDOWS,
)
from features._records import (
    RecordKey,
    RecordProfile,
    RecordRisk,
    newest,
    profile_values,
    risk_values,
)

__all__ = ["AML_RATINGS", "CustomerActivity", "FeatureRow", "FeatureValue", "RecordKey"]

FeatureValue = int | float | str | None
AML_RATINGS: dict[str | None, int] = {None: 0, "low": 1, "medium": 2, "high": 3, "very_high": 4}
_RETAIN = max(WINDOWS.values())
_ZERO = Decimal(0)
_H1, _H24, _D7 = WINDOWS["1h"], WINDOWS["24h"], WINDOWS["7d"]


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """One row of the streamed view ``view`` for ``gcid`` as of ``event_timestamp``."""

    view: str
    gcid: str
    event_timestamp: datetime
    values: Mapping[str, FeatureValue]


@dataclass(frozen=True, slots=True, order=True)
class _Txn:
    at: datetime
    event_id: str
    amount: Decimal = field(compare=False)
    channel: str = field(compare=False)
    counterparty: str | None = field(compare=False)
    record: RecordKey | None = field(compare=False, default=None)


@dataclass(frozen=True, slots=True, order=True)
class _Login:
    at: datetime
    event_id: str
    success: bool = field(compare=False)
    device: str | None = field(compare=False)
    location: str | None = field(compare=False)
    record: RecordKey | None = field(compare=False, default=None)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


_EMPTY_LOGIN: dict[str, FeatureValue] = {
    "failed_logins_1h": 0,
    "distinct_devices_30d": 0,
    "new_device": 0,
    "new_location": 0,
}


def _empty_transaction_rows(gcid: str, at: datetime) -> list[FeatureRow]:
    values: dict[str, FeatureValue] = {}
    for label in WINDOWS:
        values |= {
            f"txn_count_{label}": 0,
            f"txn_amount_sum_{label}": 0.0,
            f"txn_amount_mean_{label}": None,
            f"txn_amount_max_{label}": None,
        }
    values |= {f"txn_count_24h_{ch}": 0 for ch in CHANNELS}
    values["last_txn_epoch"] = None
    novelty: dict[str, FeatureValue] = {"new_payees_24h": 0, "distinct_counterparties_7d": 0}
    return [
        FeatureRow(TRANSACTION_WINDOWS.name, gcid, at, values),
        FeatureRow(COUNTERPARTY_NOVELTY.name, gcid, at, novelty),
    ]


_Item = TypeVar("_Item", _Txn, _Login)
_State = TypeVar("_State", RecordProfile, RecordRisk)


def _move_items(store: dict[str, list[_Item]], gcid: str, new_gcid: str, moved: set[RecordKey]) -> bool:
    items = store.get(gcid, [])
    going = [x for x in items if x.record in moved]
    if not going:
        return False
    staying = [x for x in items if x.record not in moved]
    if staying:
        store[gcid] = staying
    else:
        del store[gcid]
    target = store.setdefault(new_gcid, [])
    target.extend(going)
    target.sort()
    return True


def _absorb(states: dict[str, dict[RecordKey, _State]], gcid: str, incoming: dict[RecordKey, _State]) -> None:
    """Add ``incoming`` record states under ``gcid`` (a record already there absorbs its twin)."""
    if not incoming:
        return
    target = states.setdefault(gcid, {})
    for record, state in incoming.items():
        held = target.get(record)
        if held is None:
            target[record] = state
        else:
            held.absorb(state)


def _move_states(
    states: dict[str, dict[RecordKey, _State]], gcid: str, new_gcid: str, moved: set[RecordKey]
) -> bool:
    held = states.get(gcid, {})
    taken = {r: held.pop(r) for r in list(held) if r in moved}
    if not taken:
        return False
    _absorb(states, new_gcid, taken)
    if not held:
        del states[gcid]
    return True


def _between(items: list[_Txn] | list[_Login], start: datetime, end: datetime) -> slice:
    times = [i.at for i in items]
    return slice(bisect_right(times, start), bisect_right(times, end))


class CustomerActivity:
    """Windowed transaction and login aggregates, profile and risk state, per GCID."""

    def __init__(self, *, max_lateness: timedelta = timedelta(hours=1)) -> None:
        self._max_lateness = max_lateness
        self._txns: dict[str, list[_Txn]] = {}
        self._logins: dict[str, list[_Login]] = {}
        self._profiles: dict[str, dict[RecordKey, RecordProfile]] = {}
        self._risks: dict[str, dict[RecordKey, RecordRisk]] = {}
        self._seen: set[str] = set()
        self._watermark: datetime | None = None
        self._expired_at: datetime | None = None

    @property
    def watermark(self) -> datetime | None:
        return self._watermark

    @property
    def horizon(self) -> datetime | None:
        """Events at or before this time are too late to be retained (``None`` before the first)."""
        if self._watermark is None:
            return None
        return self._watermark - self._max_lateness - _RETAIN

    # -- transactions -------------------------------------------------------------------------
    def observe_transaction(
        self,
        gcid: str,
        occurred_at: datetime,
        amount: Decimal | float,
        event_id: str,
        *,
        channel: str,
        counterparty: str | None = None,
        record: RecordKey | None = None,
    ) -> list[FeatureRow]:
        """Record a posted transaction; return the ``transaction_windows`` and ``counterparty_novelty``
        rows as of the GCID's latest transaction (which is the event's own time unless it was late)."""
        at = _utc(occurred_at)
        if self._fresh(event_id, at):
            exact = amount if isinstance(amount, Decimal) else Decimal(repr(amount))
            txn = _Txn(at, event_id, exact, channel, counterparty, record)
            insort(self._txns.setdefault(gcid, []), txn)
        return self.transaction_rows(gcid)

    def transaction_rows(self, gcid: str, t: datetime | None = None) -> list[FeatureRow]:
        """Rows as of ``t`` (default: the GCID's latest transaction); empty without transactions."""
        txns = self._txns.get(gcid)
        if not txns:
            return []
        at = txns[-1].at if t is None else _utc(t)
        values: dict[str, FeatureValue] = {}
        for label, span in WINDOWS.items():
            amounts = [x.amount for x in txns[_between(txns, at - span, at)]]
            values[f"txn_count_{label}"] = len(amounts)
            total = sum(amounts, _ZERO)
            values[f"txn_amount_sum_{label}"] = float(total)
            values[f"txn_amount_mean_{label}"] = float(total / len(amounts)) if amounts else None
            values[f"txn_amount_max_{label}"] = float(max(amounts)) if amounts else None
        day = txns[_between(txns, at - _H24, at)]
        for ch in CHANNELS:
            values[f"txn_count_24h_{ch}"] = sum(1 for x in day if x.channel == ch)
        upto = txns[: bisect_right([x.at for x in txns], at)]
        values["last_txn_epoch"] = upto[-1].at.timestamp() if upto else None
        month = txns[_between(txns, at - _RETAIN, at)]
        first_paid: dict[str, datetime] = {}
        for x in month:
            if x.counterparty is not None:
                first_paid.setdefault(x.counterparty, x.at)
        novelty: dict[str, FeatureValue] = {
            "new_payees_24h": sum(1 for first in first_paid.values() if first > at - _H24),
            "distinct_counterparties_7d": len(
                {x.counterparty for x in txns[_between(txns, at - _D7, at)] if x.counterparty is not None}
            ),
        }
        return [
            FeatureRow(TRANSACTION_WINDOWS.name, gcid, at, values),
            FeatureRow(COUNTERPARTY_NOVELTY.name, gcid, at, novelty),
        ]

    # -- logins -------------------------------------------------------------------------------
    def observe_login(
        self,
        gcid: str,
        occurred_at: datetime,
        event_id: str,
        *,
        success: bool,
        device: str | None = None,
        location: str | None = None,
        record: RecordKey | None = None,
    ) -> list[FeatureRow]:
        at = _utc(occurred_at)
        if self._fresh(event_id, at):
            login = _Login(at, event_id, success, device, location, record)
            insort(self._logins.setdefault(gcid, []), login)
        return self.login_rows(gcid)

    def login_rows(self, gcid: str, t: datetime | None = None) -> list[FeatureRow]:
        logins = self._logins.get(gcid)
        if not logins:
            return []
        at = logins[-1].at if t is None else _utc(t)
        month = logins[_between(logins, at - _RETAIN, at)]
        if not month:
            return []
        *before, current = month
        values: dict[str, FeatureValue] = {
            "failed_logins_1h": sum(1 for x in logins[_between(logins, at - _H1, at)] if not x.success),
            "distinct_devices_30d": len({x.device for x in month if x.device is not None}),
            "new_device": int(
                current.device is not None and current.device not in {x.device for x in before}
            ),
            "new_location": int(
                current.location is not None and current.location not in {x.location for x in before}
            ),
        }
        return [FeatureRow(LOGIN_DEVICE.name, gcid, at, values)]

    # -- profile and risk (kept per source record) -------------------------------------------
    def _profile(self, gcid: str, record: RecordKey | None) -> RecordProfile:
        return self._profiles.setdefault(gcid, {}).setdefault(record or ("", gcid), RecordProfile())

    def _risk(self, gcid: str, record: RecordKey | None) -> RecordRisk:
        return self._risks.setdefault(gcid, {}).setdefault(record or ("", gcid), RecordRisk())

    def observe_customer(
        self,
        gcid: str,
        occurred_at: datetime,
        *,
        kyc_tier: int | None,
        segment: str | None,
        record: RecordKey | None = None,
    ) -> list[FeatureRow]:
        at = _utc(occurred_at)
        profile = self._profile(gcid, record)
        profile.seen(at)
        if kyc_tier is not None:
            profile.kyc_tier = newest(profile.kyc_tier, (at, kyc_tier))
        if segment is not None:
            profile.segment = newest(profile.segment, (at, segment))
        return [self._profile_row(gcid, at)]

    def observe_account(
        self,
        gcid: str,
        occurred_at: datetime,
        *,
        account_key: str,
        account_type: str,
        is_open: bool,
        opened_on: date | None = None,
        record: RecordKey | None = None,
    ) -> list[FeatureRow]:
        at = _utc(occurred_at)
        profile = self._profile(gcid, record)
        since = (
            at if opened_on is None else datetime(opened_on.year, opened_on.month, opened_on.day, tzinfo=UTC)
        )
        profile.seen(since)
        profile.accounts[account_key] = (account_type, is_open)
        return [self._profile_row(gcid, at)]

    def observe_risk(
        self,
        gcid: str,
        occurred_at: datetime,
        *,
        score_type: str,
        score: float,
        rating: str | None,
        record: RecordKey | None = None,
    ) -> list[FeatureRow]:
        at = _utc(occurred_at)
        risk = self._risk(gcid, record)
        if score_type == "aml":
            risk.aml_rating = newest(risk.aml_rating, (at, AML_RATINGS.get(rating, 0)))
        elif score_type == "credit":
            risk.credit_score = newest(risk.credit_score, (at, float(score)))
        return [self._risk_row(gcid, at)]

    def observe_alert(
        self,
        gcid: str,
        occurred_at: datetime,
        *,
        alert_key: str,
        is_open: bool,
        record: RecordKey | None = None,
    ) -> list[FeatureRow]:
        risk = self._risk(gcid, record)
        if is_open:
            risk.open_alerts.add(alert_key)
        else:
            for state in self._risks[gcid].values():
                state.open_alerts.discard(alert_key)
        return [self._risk_row(gcid, _utc(occurred_at))]

    def _profile_row(self, gcid: str, at: datetime) -> FeatureRow:
        values = profile_values(self._profiles.get(gcid, {}).values(), at)
        return FeatureRow(CUSTOMER_PROFILE.name, gcid, at, values)

    def _risk_row(self, gcid: str, at: datetime) -> FeatureRow:
        values = risk_values(self._risks.get(gcid, {}).values())
        return FeatureRow(CUSTOMER_RISK.name, gcid, at, values)

    # -- identity -----------------------------------------------------------------------------
    def rekey(self, from_gcid: str, to_gcid: str, at: datetime) -> list[FeatureRow]:
        """Move ``from_gcid``'s state under ``to_gcid`` (merge); return the survivor's fresh rows."""
        if from_gcid == to_gcid:
            return []
        for store in (self._txns, self._logins):
            moved = store.pop(from_gcid, None)
            if moved:
                store[to_gcid] = sorted([*store.get(to_gcid, []), *moved])
        rows = [*self.transaction_rows(to_gcid), *self.login_rows(to_gcid)]
        _absorb(self._profiles, to_gcid, self._profiles.pop(from_gcid, {}))
        _absorb(self._risks, to_gcid, self._risks.pop(from_gcid, {}))
        if to_gcid in self._profiles:
            rows.append(self._profile_row(to_gcid, _utc(at)))
        if to_gcid in self._risks:
            rows.append(self._risk_row(to_gcid, _utc(at)))
        return rows

    def split(
        self, gcid: str, new_gcid: str, records: Collection[RecordKey], at: datetime
    ) -> list[FeatureRow]:
        """Move the state of ``records`` from ``gcid`` to ``new_gcid`` (identity split).

        Returns the fresh rows of both GCIDs for every view that changed: the new GCID's rows, the
        old GCID's recomputed rows, and an empty row for a view the old GCID has no state left for
        (stamped ``at``). Window rows are as of each GCID's latest event, like every window row.
        """
        at = _utc(at)
        if gcid == new_gcid:
            return []
        moved = set(records)
        changed = {
            label
            for label, did in (
                ("txns", _move_items(self._txns, gcid, new_gcid, moved)),
                ("logins", _move_items(self._logins, gcid, new_gcid, moved)),
                ("profile", _move_states(self._profiles, gcid, new_gcid, moved)),
                ("risk", _move_states(self._risks, gcid, new_gcid, moved)),
            )
            if did
        }
        rows: list[FeatureRow] = []
        for g in (gcid, new_gcid):
            if "txns" in changed:
                rows += self.transaction_rows(g) or _empty_transaction_rows(g, at)
            if "logins" in changed:
                rows += self.login_rows(g) or [FeatureRow(LOGIN_DEVICE.name, g, at, dict(_EMPTY_LOGIN))]
            if "profile" in changed:
                rows.append(self._profile_row(g, at))
            if "risk" in changed:
                rows.append(self._risk_row(g, at))
        return rows

    # -- bookkeeping --------------------------------------------------------------------------
    def _fresh(self, event_id: str, at: datetime) -> bool:
        """True if the event is new and within the retained horizon (then it is recorded)."""
        if event_id in self._seen:
            return False
        if self._watermark is None or at > self._watermark:
            self._watermark = at
            self._expire()
        if at <= self._watermark - self._max_lateness - _RETAIN:
            return False
        self._seen.add(event_id)
        return True

    def _expire(self) -> None:
        assert self._watermark is not None
        if self._expired_at is not None and self._watermark - self._expired_at < timedelta(minutes=1):
            return  # a sweep per minute of event time keeps memory bounded at O(1) amortised cost
        self._expired_at = self._watermark
        horizon = self._watermark - self._max_lateness - _RETAIN
        for store in (self._txns, self._logins):
            for gcid in list(store):
                items = store[gcid]
                if items and items[0].at <= horizon:
                    cut = bisect_right([i.at for i in items], horizon)
                    for gone in items[:cut]:
                        self._seen.discard(gone.event_id)
                    del items[:cut]
                    if not items:
                        del store[gcid]

"""Set-based application of a batch of events to the per-record tables of the Customer 360.

The rows a batch touches are loaded with one query per table, the events are applied to them in
memory (in arrival order, with the order-safe rules below), and the changed rows are written back
with one delete and one multi-row insert per table: a few round trips per batch instead of several
per event.

Rules (any arrival order of the same events gives the same rows): a row holds the newest change
by ``(source time, event id)``; first/last times are min/max; counters are sums (each event is
applied once: the processor filters redelivered ones through ``processed_event``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache, partial
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    select,
    tuple_,
)

from kernel.events import (
    AccountChanged,
    BrainEvent,
    CustomerChanged,
    FraudAlertRaised,
    LoginAttempted,
    RiskScoreUpdated,
    TransactionPosted,
)
from kernel.standardise import to_minor_units
from kernel.storage.round_trip import RoundTrip
from kernel.storage.schema import (
    account_360,
    channel_activity,
    customer_source_record,
    device,
    fraud_alert,
    risk_signal,
    transaction_360,
)

__all__ = ["ProjectionBatch", "newer"]

Key = tuple[str, ...]
Row = dict[str, Any]


def newer(at: datetime, event_id: str, held_at: datetime | None, held_event_id: str | None) -> bool:
    """Whether the change ``(at, event_id)`` is newer than the one held (event id breaks ties)."""
    if held_at is None:
        return True
    return (at, event_id) > (held_at, held_event_id or "")


@cache
def _pk(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)


def _json_scalar(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} in a row set")


def _document(rows: Iterable[Row]) -> str:
    """``rows`` as one JSON array, for :func:`_recordset`. Encoded by orjson, dates and times
    included (psycopg dumps array parameters element by element in Python: a third of the
    worker's time with one array per column)."""
    return orjson.dumps(list(rows), default=_json_scalar, option=orjson.OPT_NON_STR_KEYS).decode()


def _recordset(columns: Sequence[Any]) -> Any:
    """The JSON array parameter ``rows`` as a table on PostgreSQL: ``json_to_recordset``, typed by
    ``columns``; keys missing from a row read as NULL. One statement text whatever the number of
    rows, so it is compiled once and the driver prepares it once (the engine plans each execution
    with its parameters: see ``create_db_engine``)."""
    return (
        func.json_to_recordset(cast(bindparam("rows", type_=Text), JSON))
        .table_valued(*columns)
        .render_derived(with_types=True)
    )


Statement = tuple[object, Any, Any]  # cache key, construct, parameters (see RoundTrip.add)

_pg_statements: dict[tuple[str, str], Any] = {}


def _pg_statement(kind: str, table: Table) -> Any:
    """The PostgreSQL statement of ``kind`` (select / delete by key set, insert of a row set) for
    ``table``: built once (building the construct cost more than the round trip's I/O), its
    values passed as parameters (:func:`_key_params`, or ``rows``)."""
    found = _pg_statements.get((kind, table.name))
    if found is not None:
        return found
    if kind == "insert":
        names = [c.name for c in table.columns]
        given = _recordset([column(n, table.c[n].type) for n in names])
        found = insert(table).from_select(names, select(*(given.c[n] for n in names)))
    else:
        # the key set as a table (columns k0, k1, …) joined on the primary key. ``LIMIT n`` (n =
        # the number of keys: always all of them) tells the planner how many rows the JSON
        # holds: it assumes 100 for a set-returning function, and against a small or freshly
        # loaded table chose a hash join over a sequential scan (1-2 ms a statement) instead of
        # n index lookups (tens of microseconds)
        pk = _pk(table)
        given = _recordset([column(f"k{i}", Text) for i in range(len(pk))])
        keyed = select(given).limit(bindparam("n", type_=Integer)).subquery("keyed")
        on = [table.c[n] == keyed.c[f"k{i}"] for i, n in enumerate(pk)]
        found = select(table).join(keyed, and_(*on)) if kind == "select" else delete(table).where(*on)
    _pg_statements[(kind, table.name)] = found
    return found


def _key_params(table: Table, keys: list[Key]) -> dict[str, Any]:
    names = [f"k{i}" for i in range(len(_pk(table)))]
    return {"rows": _document(dict(zip(names, k, strict=True)) for k in keys), "n": len(keys)}


class ProjectionBatch:
    """The per-record rows one batch reads and writes, inside the caller's transaction.

    On PostgreSQL the loads of a batch go to the server in one round trip (with the caller's own
    statements, if it passes its :class:`RoundTrip`), and so do the writes."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pg = conn.dialect.name == "postgresql"
        self._rows: dict[str, dict[Key, Row | None]] = {}
        self._dirty: dict[str, set[Key]] = {}
        self._tables: dict[str, Table] = {}
        #: keys whose row exists in the database (loaded, or written by this batch)
        self._stored: dict[str, set[Key]] = {}

    # ------------------------------------------------------------------------------- rows

    def prefetch(self, events: Sequence[BrainEvent], trip: RoundTrip | None = None) -> None:
        """Load, one query per table, every row ``events`` will touch: at once, or queued in the
        caller's ``trip`` (loaded when the caller runs it)."""
        wanted: dict[str, tuple[Table, set[Key]]] = {}
        for event in events:
            for table, key in _keys_of(event):
                wanted.setdefault(table.name, (table, set()))[1].add(key)
        own = trip is None
        trip = trip if trip is not None else RoundTrip(self._conn)
        for table, keys in wanted.values():
            self._queue_load(trip, table, keys)
        if own:
            trip.run()

    def _queue_load(self, trip: RoundTrip, table: Table, keys: Iterable[Key]) -> None:
        cache = self._rows.setdefault(table.name, {})
        self._tables[table.name] = table
        missing = sorted(k for k in set(keys) if k not in cache)
        for i in range(0, len(missing), 500):
            chunk = missing[i : i + 500]
            trip.add(*self._by_keys("select", table, chunk), on_rows=partial(self._loaded, table, chunk))

    def _loaded(self, table: Table, chunk: list[Key], rows: list[Row]) -> None:
        cache = self._rows[table.name]
        stored = self._stored.setdefault(table.name, set())
        pk = _pk(table)
        for m in rows:
            key = tuple(m[n] for n in pk)
            cache[key] = m
            stored.add(key)
        for k in chunk:
            cache.setdefault(k, None)

    def _by_keys(self, kind: str, table: Table, keys: list[Key]) -> Statement:
        """The ``select`` or ``delete`` of ``table``'s rows with primary key in ``keys``."""
        if self._pg:
            return ((kind, table.name), _pg_statement(kind, table), _key_params(table, keys))
        match = tuple_(*(table.c[n] for n in _pk(table))).in_(keys)
        return (None, select(table).where(match) if kind == "select" else delete(table).where(match), {})

    def _get(self, table: Table, key: Key) -> Row | None:
        if key not in self._rows.get(table.name, {}):
            trip = RoundTrip(self._conn)
            self._queue_load(trip, table, [key])
            trip.run()
        return self._rows[table.name][key]

    def _put(self, table: Table, key: Key, row: Row) -> None:
        self._rows[table.name][key] = row
        self._dirty.setdefault(table.name, set()).add(key)

    def write(self, trip: RoundTrip | None = None) -> None:
        """Write every changed row back: one delete (of the rows that exist: a new transaction
        costs none) and one multi-row insert per table, all in one round trip (the caller's
        ``trip`` when given: the caller runs it)."""
        own = trip is None
        trip = trip if trip is not None else RoundTrip(self._conn)
        for name, keys in self._dirty.items():
            if not keys:
                continue
            table = self._tables[name]
            stored = self._stored.setdefault(name, set())
            ordered = sorted(keys)
            for i in range(0, len(ordered), 500):
                chunk = ordered[i : i + 500]
                old = [k for k in chunk if k in stored]
                if old:
                    trip.add(*self._by_keys("delete", table, old))
                rows = [r for r in (self._rows[name][k] for k in chunk) if r is not None]
                if rows:
                    trip.add(*self._insert(table, rows))
                stored.update(chunk)
        self._dirty = {}
        if own:
            trip.run()

    def _insert(self, table: Table, rows: list[Row]) -> Statement:
        """The statement inserting ``rows``. On PostgreSQL one ``INSERT … SELECT … FROM
        json_to_recordset(…)``: one statement the server runs once, instead of one execution per
        row (half the worker's database time); elsewhere an executemany."""
        if not self._pg:
            return (None, insert(table), rows)
        return (("insert", table.name), _pg_statement("insert", table), {"rows": _document(rows)})

    # ------------------------------------------------------------------------------ events

    def apply(self, event: BrainEvent) -> bool:
        """Apply one event; ``False`` when it changed nothing (stale or already held)."""
        if isinstance(event, CustomerChanged):
            return self._newest(
                customer_source_record,
                (event.source_system, event.source_key),
                {"payload": event.payload.model_dump(mode="json"), "deleted": event.payload.deleted},
                event.occurred_at,
                event.event_id,
            )
        if isinstance(event, AccountChanged):
            p = event.payload
            return self._newest(
                account_360,
                (event.source_system, event.source_key),
                {
                    "customer_source_key": p.customer_source_key,
                    "account_number_masked": p.account_number_masked,
                    "account_type": p.account_type,
                    "currency": p.currency,
                    "status": "closed" if p.deleted else p.status,
                    "balance": p.balance,
                    "available_balance": p.available_balance,
                    "opened_on": p.opened_on,
                },
                event.occurred_at,
                event.event_id,
            )
        if isinstance(event, TransactionPosted):
            return self._transaction(event)
        if isinstance(event, LoginAttempted):
            self._login(event)
            return True
        if isinstance(event, FraudAlertRaised):
            return self._alert(event)
        if isinstance(event, RiskScoreUpdated):
            r = event.payload
            return self._newest(
                risk_signal,
                (event.source_system, r.customer_source_key, r.score_type),
                {"score": r.score, "rating": r.rating, "model": r.model},
                event.occurred_at,
                event.event_id,
            )
        return False

    def _newest(self, table: Table, key: Key, values: Row, at: datetime, event_id: str) -> bool:
        held = self._get(table, key)
        if held is not None and not newer(at, event_id, held["source_updated_at"], held["last_event_id"]):
            return False
        row: Row = dict(held) if held is not None else dict(zip(_pk(table), key, strict=True))
        row.update(values)
        row["source_updated_at"], row["last_event_id"] = at, event_id
        self._put(table, key, row)
        return True

    def _transaction(self, event: TransactionPosted) -> bool:
        p = event.payload
        key = (event.source_system, event.source_key)
        values: Row = {
            "event_id": event.event_id,
            "customer_source_key": p.customer_source_key,
            "account_key": p.account_source_key,
            "amount_minor": to_minor_units(p.amount, p.currency),
            "currency": p.currency,
            "direction": p.direction,
            "txn_type": p.txn_type,
            "channel": p.channel,
            "status": p.status,
            "counterparty": p.counterparty,
            "counterparty_type": p.counterparty_type,
            "device_id": p.device_id,
            "ip_address": p.ip_address,
            "card_last4": p.card_last4,
            "location": p.location,
            "source_updated_at": event.occurred_at,
        }
        held = self._get(transaction_360, key)
        if held is None:
            self._put(
                transaction_360,
                key,
                {
                    "source_system": key[0],
                    "transaction_key": key[1],
                    "occurred_at": event.occurred_at,
                    **values,
                },
            )
            self._activity(event, count=1)
            return True
        if held["event_id"] == event.event_id:
            return False
        # every change of a transaction is seen activity (times), but it is counted once
        self._activity(event, count=0)
        row = dict(held)
        row["occurred_at"] = min(held["occurred_at"], event.occurred_at)
        held_at = held["source_updated_at"] or held["occurred_at"]
        changed = newer(event.occurred_at, event.event_id, held_at, held["event_id"])
        if changed:
            row.update(values, occurred_at=row["occurred_at"])
        if row != held:
            self._put(transaction_360, key, row)
        return changed

    def _activity(self, event: TransactionPosted, count: int) -> None:
        p = event.payload
        self._channel(event.source_system, p.customer_source_key, p.channel, event.occurred_at, txn=count)
        if p.device_id:
            self._device(
                event.source_system,
                p.customer_source_key,
                p.device_id,
                event.occurred_at,
                event.event_id,
                {"last_channel": p.channel, "last_ip": p.ip_address, "last_location": p.location},
                transactions=count,
            )

    def _login(self, event: LoginAttempted) -> None:
        p = event.payload
        ok = 1 if p.success else 0
        self._channel(
            event.source_system,
            p.customer_source_key,
            p.channel,
            event.occurred_at,
            logins=ok,
            failed=1 - ok,
            sessions=1 if p.success and p.session_id else 0,
            login_at=event.occurred_at if p.success else None,
        )
        if p.device_id:
            self._device(
                event.source_system,
                p.customer_source_key,
                p.device_id,
                event.occurred_at,
                event.event_id,
                {"last_channel": p.channel, "last_ip": p.ip_address, "last_location": p.location},
                logins=ok,
                failed=1 - ok,
            )

    def _channel(
        self,
        system: str,
        customer_key: str,
        channel: str,
        at: datetime,
        *,
        txn: int = 0,
        logins: int = 0,
        failed: int = 0,
        sessions: int = 0,
        login_at: datetime | None = None,
    ) -> None:
        key = (system, customer_key, channel)
        held = self._get(channel_activity, key)
        if held is None:
            row: Row = {
                "source_system": system,
                "customer_source_key": customer_key,
                "channel": channel,
                "logins": 0,
                "failed_logins": 0,
                "sessions": 0,
                "transactions": 0,
                "first_seen": at,
                "last_seen": at,
                "last_login_at": None,
            }
        else:
            row = dict(held)
        row["logins"] += logins
        row["failed_logins"] += failed
        row["sessions"] += sessions
        row["transactions"] += txn
        row["first_seen"] = min(row["first_seen"], at)
        row["last_seen"] = max(row["last_seen"], at)
        if login_at is not None and (row["last_login_at"] is None or login_at > row["last_login_at"]):
            row["last_login_at"] = login_at
        self._put(channel_activity, key, row)

    def _device(
        self,
        system: str,
        customer_key: str,
        device_id: str,
        at: datetime,
        event_id: str,
        latest: Row,
        *,
        logins: int = 0,
        failed: int = 0,
        transactions: int = 0,
    ) -> None:
        key = (system, customer_key, device_id)
        held = self._get(device, key)
        if held is None:
            row: Row = {
                "source_system": system,
                "customer_source_key": customer_key,
                "device_id": device_id,
                "first_seen": at,
                "last_seen": at,
                "logins": 0,
                "failed_logins": 0,
                "transactions": 0,
                "last_event_id": event_id,
                **latest,
            }
        else:
            row = dict(held)
            row["first_seen"] = min(row["first_seen"], at)
            if newer(at, event_id, row["last_seen"], row["last_event_id"]):
                row.update(latest, last_seen=at, last_event_id=event_id)
        row["logins"] += logins
        row["failed_logins"] += failed
        row["transactions"] += transactions
        self._put(device, key, row)

    def _alert(self, event: FraudAlertRaised) -> bool:
        p = event.payload
        key = (event.source_system, event.source_key)
        held = self._get(fraud_alert, key)
        raised = min(held["raised_at"], event.occurred_at) if held is not None else event.occurred_at
        changed = self._newest(
            fraud_alert,
            key,
            {
                "customer_source_key": p.customer_source_key,
                "alert_type": p.alert_type,
                "severity": p.severity,
                "status": p.status,
                "score": p.score,
                "transaction_source_key": p.transaction_source_key,
                "raised_at": raised,
            },
            event.occurred_at,
            event.event_id,
        )
        if not changed and held is not None and raised != held["raised_at"]:
            self._put(fraud_alert, key, {**held, "raised_at": raised})
        return changed


def _keys_of(event: BrainEvent) -> list[tuple[Table, Key]]:
    if isinstance(event, CustomerChanged):
        return [(customer_source_record, (event.source_system, event.source_key))]
    if isinstance(event, AccountChanged):
        return [(account_360, (event.source_system, event.source_key))]
    if isinstance(event, FraudAlertRaised):
        return [(fraud_alert, (event.source_system, event.source_key))]
    if isinstance(event, RiskScoreUpdated):
        p = event.payload
        return [(risk_signal, (event.source_system, p.customer_source_key, p.score_type))]
    if isinstance(event, TransactionPosted | LoginAttempted):
        p2 = event.payload
        keys: list[tuple[Table, Key]] = [
            (channel_activity, (event.source_system, p2.customer_source_key, p2.channel))
        ]
        if isinstance(event, TransactionPosted):
            keys.append((transaction_360, (event.source_system, event.source_key)))
        if p2.device_id:
            keys.append((device, (event.source_system, p2.customer_source_key, p2.device_id)))
        return keys
    return []

"""Database reads of the decision path: GCID, profile, known devices (with a small LRU cache
that serves as the fallback profile when the database is unavailable).

:func:`read_customer` is the serving path: GCID, golden-record flags and known devices in one
statement (one round trip); on PostgreSQL it runs on the driver's cursor as a prepared statement
compiled once (SQLAlchemy's per-execution work was most of its client CPU). :func:`read_gcid` /
:func:`read_profile` are the same reads step by step (backtests, and the rare merged-GCID path).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Select, String, and_, bindparam, select, true, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

from customer360 import member_refs, survivor_of
from identity.errors import UnknownGcid
from kernel.storage.schema import customer_360, identity_record, transaction_360
from kernel.storage.schema import gcid as gcid_table

__all__ = ["LruCache", "Profile", "read_customer", "read_gcid", "read_profile"]

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


@dataclass(frozen=True, slots=True)
class Profile:
    sanctioned: bool | None
    pep: bool | None
    kyc_tier: int | None
    segment: str | None
    known_devices: frozenset[str]


def read_gcid(
    conn: Connection, gcid: str | None, source_system: str | None, source_key: str | None
) -> str | None:
    """The survivor GCID of the request's customer (raises UnknownGcid for an unknown GCID)."""
    if gcid is not None:
        return survivor_of(conn, gcid)
    found: str | None = conn.execute(
        select(identity_record.c.gcid).where(
            identity_record.c.source_system == source_system, identity_record.c.source_key == source_key
        )
    ).scalar_one_or_none()
    return found


def read_profile(conn: Connection, gcid: str) -> Profile:
    row = conn.execute(
        select(
            customer_360.c.sanctioned, customer_360.c.pep, customer_360.c.kyc_tier, customer_360.c.segment
        ).where(customer_360.c.gcid == gcid)
    ).first()
    refs = member_refs(conn, gcid)
    devices: frozenset[str] = frozenset()
    if refs:
        rows = conn.execute(
            select(transaction_360.c.device_id)
            .where(
                tuple_(transaction_360.c.source_system, transaction_360.c.customer_source_key).in_(refs),
                transaction_360.c.device_id.is_not(None),
            )
            .distinct()
        ).all()
        devices = frozenset(r.device_id for r in rows)
    if row is None:
        return Profile(None, None, None, None, devices)
    return Profile(row.sanctioned, row.pep, row.kyc_tier, row.segment, devices)


def _customer_query(gcid_of_request: Any, anchor: Any, where: Any) -> Select[Any]:
    """One row per known device (or one row without) of the GCID ``gcid_of_request`` selects.

    ``anchor`` is the table whose row identifies the customer (``identity_record`` for a source
    key, ``gcid`` for a GCID); ``where`` picks that row. The devices come from the transactions of
    every source record resolving to the GCID, through a subquery keyed by the same GCID.
    """
    member = identity_record.alias("member")
    devices = (
        select(transaction_360.c.device_id)
        .select_from(
            member.join(
                transaction_360,
                and_(
                    transaction_360.c.source_system == member.c.source_system,
                    transaction_360.c.customer_source_key == member.c.source_key,
                ),
            )
        )
        .where(member.c.gcid == gcid_of_request, transaction_360.c.device_id.is_not(None))
        .distinct()
        .subquery("devices")
    )
    return (
        select(
            anchor.c.gcid,
            customer_360.c.gcid.label("c360"),
            customer_360.c.sanctioned,
            customer_360.c.pep,
            customer_360.c.kyc_tier,
            customer_360.c.segment,
            devices.c.device_id,
        )
        .select_from(
            anchor.outerjoin(customer_360, customer_360.c.gcid == anchor.c.gcid).outerjoin(devices, true())
        )
        .where(where)
    )


_BY_KEY = and_(
    identity_record.c.source_system == bindparam("source_system"),
    identity_record.c.source_key == bindparam("source_key"),
)
# built once: SQLAlchemy's statement cache key is memoised on the object, psycopg prepares it
_CUSTOMER_BY_KEY = _customer_query(
    select(identity_record.c.gcid).where(_BY_KEY).scalar_subquery(), identity_record, _BY_KEY
)
_CUSTOMER_BY_GCID = _customer_query(
    bindparam("gcid", type_=String), gcid_table, gcid_table.c.gcid == bindparam("gcid", type_=String)
).add_columns(gcid_table.c.merged_into)
_PG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
_PG_BY_KEY = str(_CUSTOMER_BY_KEY.compile(dialect=_PG))  # %(name)s placeholders: psycopg's own
_PG_BY_GCID = str(_CUSTOMER_BY_GCID.compile(dialect=_PG))


def _rows(conn: Connection, statement: Select[Any], pg_sql: str, params: dict[str, Any]) -> list[Any]:
    """The statement's rows (attribute access by column label)."""
    if conn.dialect.name != "postgresql":
        return list(conn.execute(statement, params).all())
    raw: Any = conn.connection.driver_connection
    try:
        with raw.cursor(row_factory=namedtuple_row) as cur:
            cur.execute(pg_sql, params, prepare=True)
            return list(cur.fetchall())
    except psycopg.Error as exc:  # what SQLAlchemy would raise: run_read retries a dropped connection
        lost = isinstance(exc, psycopg.OperationalError) or raw.closed
        if lost:
            conn.invalidate()
        raise DBAPIError.instance(pg_sql, params, exc, psycopg.Error, connection_invalidated=lost) from exc


def read_customer(
    conn: Connection, gcid: str | None, source_system: str | None, source_key: str | None
) -> tuple[str | None, Profile | None]:
    """The survivor GCID of the request's customer and its profile, in one round trip.

    Same answer as :func:`read_gcid` then :func:`read_profile` (raises UnknownGcid for an unknown
    GCID; ``(None, None)`` for an unknown source key). A GCID merged into another falls back to
    the step-by-step reads (rare: callers mostly send source keys, and merged GCIDs are few).
    """
    if gcid is not None:
        rows = _rows(conn, _CUSTOMER_BY_GCID, _PG_BY_GCID, {"gcid": gcid})
        if not rows:
            raise UnknownGcid(f"no customer with GCID {gcid}")
        if rows[0].merged_into is not None:
            survivor = survivor_of(conn, gcid)
            return survivor, read_profile(conn, survivor)
    else:
        rows = _rows(
            conn, _CUSTOMER_BY_KEY, _PG_BY_KEY, {"source_system": source_system, "source_key": source_key}
        )
        if not rows:
            return None, None
    first = rows[0]
    devices = frozenset(r.device_id for r in rows if r.device_id is not None)
    if first.c360 is None:
        return first.gcid, Profile(None, None, None, None, devices)
    return first.gcid, Profile(first.sanctioned, first.pep, first.kyc_tier, first.segment, devices)

"""Database reads of the decision path: GCID, profile, known devices (with a small LRU cache
that serves as the fallback profile when the database is unavailable)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Connection, select, tuple_

from customer360 import member_refs, survivor_of
from pipelines.storage.schema import customer_360, identity_record, transaction_360

__all__ = ["LruCache", "Profile", "read_gcid", "read_profile"]

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

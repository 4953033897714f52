"""SQL adapter of :class:`identity.IdentityGraph`, working inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select, tuple_, update

from identity import IdentityRecord, SourceRecordRef, StoredRecord
from identity.errors import UnknownGcid
from pipelines.storage.schema import gcid as gcid_t
from pipelines.storage.schema import identity_key, identity_record

__all__ = ["SqlIdentityGraph"]


class SqlIdentityGraph:
    def __init__(self, conn: Connection, event_id: str = "") -> None:
        self._conn = conn
        self._event_id = event_id

    def current(self, ref: SourceRecordRef) -> StoredRecord | None:
        row = self._conn.execute(
            select(identity_record.c.gcid, identity_record.c.attributes).where(
                identity_record.c.source_system == ref.source_system,
                identity_record.c.source_key == ref.source_key,
            )
        ).first()
        if row is None:
            return None
        return StoredRecord(IdentityRecord.from_json(ref, row.attributes), row.gcid)

    def candidates(self, keys: Iterable[tuple[str, str]], limit_per_key: int) -> list[StoredRecord]:
        refs: set[tuple[str, str]] = set()
        for key_type, key_value in keys:
            rows = self._conn.execute(
                select(identity_key.c.source_system, identity_key.c.source_key)
                .where(identity_key.c.key_type == key_type, identity_key.c.key_value == key_value)
                .order_by(identity_key.c.source_system, identity_key.c.source_key)
                .limit(limit_per_key)
            ).all()
            refs.update((r.source_system, r.source_key) for r in rows)
        if not refs:
            return []
        found = self._conn.execute(
            select(
                identity_record.c.source_system,
                identity_record.c.source_key,
                identity_record.c.gcid,
                identity_record.c.attributes,
            ).where(tuple_(identity_record.c.source_system, identity_record.c.source_key).in_(sorted(refs)))
        ).all()
        out = [
            StoredRecord(
                IdentityRecord.from_json(SourceRecordRef(r.source_system, r.source_key), r.attributes), r.gcid
            )
            for r in found
        ]
        return sorted(out, key=lambda s: s.record.ref)

    def created_at(self, gcid: str) -> datetime:
        value: datetime | None = self._conn.execute(
            select(gcid_t.c.created_at).where(gcid_t.c.gcid == gcid)
        ).scalar_one_or_none()
        if value is None:
            raise UnknownGcid(f"GCID {gcid} does not exist")
        return value

    def create_gcid(self, gcid: str, at: datetime) -> None:
        self._conn.execute(insert(gcid_t).values(gcid=gcid, created_at=at, merged_into=None, updated_at=at))

    def put_record(self, stored: StoredRecord, at: datetime) -> None:
        ref = stored.record.ref
        where = and_(
            identity_record.c.source_system == ref.source_system,
            identity_record.c.source_key == ref.source_key,
        )
        values = {
            "gcid": stored.gcid,
            "attributes": stored.record.to_json(),
            "occurred_at": at,
            "last_event_id": self._event_id,
        }
        if self._conn.execute(update(identity_record).where(where).values(**values)).rowcount == 0:
            self._conn.execute(
                insert(identity_record).values(
                    source_system=ref.source_system, source_key=ref.source_key, first_seen=at, **values
                )
            )
        self._conn.execute(
            delete(identity_key).where(
                identity_key.c.source_system == ref.source_system, identity_key.c.source_key == ref.source_key
            )
        )
        keys = sorted(set(stored.record.keys()))
        if keys:
            self._conn.execute(
                insert(identity_key),
                [
                    {
                        "key_type": t,
                        "key_value": v,
                        "source_system": ref.source_system,
                        "source_key": ref.source_key,
                    }
                    for t, v in keys
                ],
            )

    def merge(self, survivor: str, merged: str, at: datetime) -> list[SourceRecordRef]:
        moved = self._conn.execute(
            select(identity_record.c.source_system, identity_record.c.source_key).where(
                identity_record.c.gcid == merged
            )
        ).all()
        self._conn.execute(
            update(identity_record).where(identity_record.c.gcid == merged).values(gcid=survivor)
        )
        self._conn.execute(
            update(gcid_t)
            .where(or_(gcid_t.c.gcid == merged, gcid_t.c.merged_into == merged))
            .values(merged_into=survivor, updated_at=at)
        )
        return sorted(SourceRecordRef(r.source_system, r.source_key) for r in moved)

    def survivor(self, gcid: str) -> str | None:
        row = self._conn.execute(select(gcid_t.c.merged_into).where(gcid_t.c.gcid == gcid)).first()
        if row is None:
            return None
        return row.merged_into or gcid

    def members(self, gcid: str) -> list[SourceRecordRef]:
        rows = self._conn.execute(
            select(identity_record.c.source_system, identity_record.c.source_key)
            .where(identity_record.c.gcid == gcid)
            .order_by(identity_record.c.source_system, identity_record.c.source_key)
        ).all()
        return [SourceRecordRef(r.source_system, r.source_key) for r in rows]

    def move(self, refs: list[SourceRecordRef], gcid: str, at: datetime) -> None:
        for ref in refs:
            self._conn.execute(
                update(identity_record)
                .where(
                    identity_record.c.source_system == ref.source_system,
                    identity_record.c.source_key == ref.source_key,
                )
                .values(gcid=gcid)
            )

    def gcid_of(self, source_system: str, source_key: str) -> str | None:
        value: str | None = self._conn.execute(
            select(identity_record.c.gcid).where(
                identity_record.c.source_system == source_system, identity_record.c.source_key == source_key
            )
        ).scalar_one_or_none()
        return value

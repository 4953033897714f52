"""The identity graph in the operational database, shared by the identity processor and the API.

* :class:`SqlIdentityGraph`: the SQL adapter of :class:`identity.IdentityGraph`, working inside the
  caller's transaction;
* :func:`identity_record_of`: a ``customer.events`` record as the resolver's input;
* :func:`record_lineage`: the lineage row of an identity event (also the outbox the processor
  republishes from);
* :func:`operator_merge` / :func:`operator_split`: an operator's merge or split of GCIDs, with
  its lineage, in the caller's transaction (the caller publishes the returned event after commit);
* :func:`write_graph`: a whole graph bulk-written into a fresh database (benches and tests seed
  the graph this way instead of resolving identities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, or_, select, tuple_, update

from identity import (
    IdentityRecord,
    SourceRecordRef,
    StoredRecord,
    merge_gcids,
    new_gcid,
    split_gcid,
)
from identity.errors import UnknownGcid
from kernel.events import (
    CustomerChanged,
    GcidMerged,
    GcidMergedPayload,
    GcidSplit,
    GcidSplitPayload,
    IdentityEvent,
    SourceRef,
    make_event_id,
    utcnow,
)
from kernel.standardise import is_synthetic_email
from kernel.storage.schema import gcid as gcid_t
from kernel.storage.schema import identity_key, identity_lineage, identity_record

__all__ = [
    "IDENTITY_SOURCE",
    "SqlIdentityGraph",
    "identity_record_of",
    "operator_merge",
    "operator_split",
    "record_lineage",
    "source_ref",
    "write_graph",
]

#: The ``source_system`` of the events the Brain's identity resolution produces.
IDENTITY_SOURCE = "brain.identity"


def identity_record_of(event: CustomerChanged) -> IdentityRecord:
    """The resolver's view of a source customer record (synthetic e-mails left out)."""
    p = event.payload
    return IdentityRecord(
        ref=SourceRecordRef(event.source_system, event.source_key),
        name=p.full_name,
        first_name=p.first_name,
        last_name=p.last_name,
        middle_name=p.middle_name,
        gender=p.gender,
        date_of_birth=p.date_of_birth,
        national_id=p.national_id,
        phones=p.phones,
        emails=tuple(e for e in p.emails if not is_synthetic_email(e)),
        device_ids=p.device_ids,
    )


def source_ref(ref: SourceRecordRef) -> SourceRef:
    return SourceRef(source_system=ref.source_system, source_key=ref.source_key)


def record_lineage(conn: Connection, out: IdentityEvent, cause_event_id: str, at: datetime) -> None:
    """Append the lineage row of ``out`` (who/what/when/why, the event itself as detail)."""
    other: str | None
    if isinstance(out, GcidMerged):
        kind, gcid, other = "merge", out.payload.survivor, out.payload.merged
    elif isinstance(out, GcidSplit):
        kind, gcid, other = "split", out.payload.gcid, out.payload.new_gcid
    else:
        kind, gcid, other = "assign", out.payload.gcid, out.payload.previous_gcid
    conn.execute(
        insert(identity_lineage).values(
            event_id=out.event_id,
            cause_event_id=cause_event_id,
            kind=kind,
            gcid=gcid,
            other_gcid=other,
            detail={"event": out.model_dump(mode="json")},
            decided_by=out.payload.decided_by,
            settings_version=out.payload.settings_version,
            at=at,
        )
    )


def operator_merge(conn: Connection, a: str, b: str, reason: str, decided_by: str) -> GcidMerged:
    """Merge two GCIDs by hand (the older survives) and record the lineage."""
    now = utcnow()
    outcome = merge_gcids(SqlIdentityGraph(conn), a, b, now)
    out = GcidMerged(
        **_operator_envelope("merge", outcome.survivor, f"{outcome.merged}>{outcome.survivor}", now),
        payload=GcidMergedPayload(
            survivor=outcome.survivor,
            merged=outcome.merged,
            records=tuple(source_ref(r) for r in outcome.records),
            evidence=(),
            settings_version="operator",
            decided_by=decided_by,
            reason=reason,
        ),
    )
    record_lineage(conn, out, out.event_id, now)
    return out


def operator_split(
    conn: Connection, gcid: str, records: list[SourceRecordRef], reason: str, decided_by: str
) -> GcidSplit:
    """Move ``records`` out of ``gcid`` under a new GCID and record the lineage."""
    now = utcnow()
    outcome = split_gcid(SqlIdentityGraph(conn), gcid, records, now, new_gcid)
    out = GcidSplit(
        **_operator_envelope("split", outcome.gcid, f"{outcome.gcid}>{outcome.new_gcid}", now),
        payload=GcidSplitPayload(
            gcid=outcome.gcid,
            new_gcid=outcome.new_gcid,
            records=tuple(source_ref(r) for r in outcome.records),
            settings_version="operator",
            decided_by=decided_by,
            reason=reason,
        ),
    )
    record_lineage(conn, out, out.event_id, now)
    return out


def _operator_envelope(kind: str, gcid: str, change: str, now: datetime) -> dict[str, Any]:
    """Envelope of an operator's ``kind`` of change (``change``: ``from>to``) keyed by ``gcid``."""
    return {
        "event_id": make_event_id(IDENTITY_SOURCE, f"operator-{kind}", change, now.isoformat()),
        "source_system": IDENTITY_SOURCE,
        "source_table": "gcid",
        "source_key": gcid,
        "occurred_at": now,
    }


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


def write_graph(engine: Engine, graph: Mapping[str, Iterable[tuple[str, str]]], *, at: datetime) -> None:
    """Write ``graph`` (GCID → its ``(source_system, source_key)`` records) into a database with no
    identity graph yet: one ``gcid`` row per GCID, one ``identity_record`` per record, all created
    ``at``, with ``last_event_id`` ``"seed"`` (no event wrote them)."""
    gcids = [{"gcid": g, "created_at": at, "merged_into": None, "updated_at": at} for g in graph]
    records = [
        {
            "source_system": system,
            "source_key": key,
            "gcid": g,
            "attributes": {},
            "occurred_at": at,
            "first_seen": at,
            "last_event_id": "seed",
        }
        for g, refs in graph.items()
        for system, key in refs
    ]
    with engine.begin() as conn:
        conn.execute(insert(gcid_t), gcids)
        conn.execute(insert(identity_record), records)

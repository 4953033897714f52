"""Identity processor: ``customer.events`` → GCID (assign, create, merge) → ``identity.events``.

Records are decided by Fellegi–Sunter weights (:class:`identity.Scorer`): the shipped Wekeza
settings (:func:`identity.load_default_settings`) unless trained settings are given. The graph
change, the source customer record, the lineage rows (our outbox) and the processed
mark commit in one transaction; the identity events are published after the commit, and published
again if the same customer event is ever redelivered (downstream consumers are idempotent).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select

from identity import (
    MATCHER_VERSION,
    IdentityRecord,
    IdentitySettings,
    Resolution,
    Scorer,
    SourceRecordRef,
    load_default_settings,
    merge_gcids,
    new_gcid,
    resolve,
    split_gcid,
)
from pipelines.events import (
    BrainEvent,
    CustomerChanged,
    GcidAssigned,
    GcidAssignedPayload,
    GcidMerged,
    GcidMergedPayload,
    GcidSplit,
    GcidSplitPayload,
    IdentityEvent,
    IdentityEvidence,
    SourceRef,
    Topic,
    make_event_id,
    parse_event,
    utcnow,
)
from pipelines.metrics import EVENTS_PRODUCED
from pipelines.processors._idempotency import already_processed, mark_processed
from pipelines.standardise import is_synthetic_email
from pipelines.storage.identity_graph import SqlIdentityGraph
from pipelines.storage.schema import identity_lineage, identity_record
from pipelines.transport import EventPublisher

__all__ = ["IdentityHandler", "identity_record_of", "operator_merge", "operator_split"]

SOURCE_SYSTEM = "brain.identity"


def identity_record_of(event: CustomerChanged) -> IdentityRecord:
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


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _ref(r: SourceRecordRef) -> SourceRef:
    return SourceRef(source_system=r.source_system, source_key=r.source_key)


def identity_events(
    cause: CustomerChanged, res: Resolution, at: datetime, settings_version: str = MATCHER_VERSION
) -> list[IdentityEvent]:
    ref = res.record.ref
    out: list[IdentityEvent] = []
    for merged in res.merged:
        out.append(
            GcidMerged(
                event_id=make_event_id(SOURCE_SYSTEM, "merge", f"{merged}>{res.gcid}", cause.event_id),
                source_system=SOURCE_SYSTEM,
                source_table="gcid",
                source_key=res.gcid,
                occurred_at=at,
                trace_id=cause.trace_id,
                position=cause.event_id,
                payload=GcidMergedPayload(
                    survivor=res.gcid,
                    merged=merged,
                    records=(_ref(ref),),
                    evidence=tuple(
                        IdentityEvidence(
                            attribute=e.attribute, level=e.level, weight=e.weight, other=_ref(other)
                        )
                        for other, decision in res.evidence
                        if decision.is_match
                        for e in decision.evidence
                        if e.weight > 0
                    ),
                    settings_version=settings_version,
                    decided_by="resolver",
                    reason=f"{ref} matched records of both GCIDs",
                ),
            )
        )
    best = max((d for _, d in res.evidence if d.is_match), key=lambda d: len(d.evidence), default=None)
    out.append(
        GcidAssigned(
            event_id=make_event_id(SOURCE_SYSTEM, "assign", str(ref), cause.event_id),
            source_system=SOURCE_SYSTEM,
            source_table="identity_record",
            source_key=str(ref),
            occurred_at=at,
            trace_id=cause.trace_id,
            position=cause.event_id,
            payload=GcidAssignedPayload(
                gcid=res.gcid,
                record=_ref(ref),
                previous_gcid=res.previous_gcid,
                evidence=tuple(
                    IdentityEvidence(attribute=e.attribute, level=e.level, weight=e.weight)
                    for e in (best.evidence if best else ())
                    if e.weight > 0
                ),
                settings_version=settings_version,
                decided_by="resolver",
                reason="new customer" if res.created else "matched existing records",
            ),
        )
    )
    return out


class IdentityHandler:
    name = "identity"
    topics: tuple[str, ...] = (Topic.CUSTOMER.value,)

    def __init__(
        self, engine: Engine, publisher: EventPublisher, settings: IdentitySettings | None = None
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        settings = settings if settings is not None else load_default_settings()
        self._scorer = Scorer(settings)
        self._version = settings.settings_version

    @staticmethod
    def load_settings(path: Path | None) -> IdentitySettings:
        """Trained settings from ``path``; the shipped Wekeza settings when unset."""
        return IdentitySettings.from_json(path.read_text()) if path is not None else load_default_settings()

    def handle(self, event: BrainEvent) -> None:
        if not isinstance(event, CustomerChanged):
            return
        with self._engine.begin() as conn:
            if already_processed(conn, self.name, event.event_id):
                outbox = self._outbox(conn, event.event_id)
            else:
                outbox = self._apply(conn, event)
        for out in outbox:
            key = out.payload.survivor if isinstance(out, GcidMerged) else out.payload.gcid
            self._publisher.publish(Topic.IDENTITY.value, out.model_dump_json().encode(), key=key)
            EVENTS_PRODUCED.labels(Topic.IDENTITY.value).inc()
        if outbox:
            self._publisher.flush()

    def _apply(self, conn: Connection, event: CustomerChanged) -> list[IdentityEvent]:
        now = utcnow()
        mark_processed(conn, self.name, event.event_id, now)
        held = conn.execute(
            select(identity_record.c.occurred_at).where(
                identity_record.c.source_system == event.source_system,
                identity_record.c.source_key == event.source_key,
            )
        ).scalar_one_or_none()
        if held is not None and _utc(held) > event.occurred_at:
            return []  # an older version than the one we resolved: identity unchanged
        graph = SqlIdentityGraph(conn, event.event_id)
        res = resolve(identity_record_of(event), graph, now, scorer=self._scorer)
        events = identity_events(event, res, now, self._version)
        for out in events:
            other: str | None
            if isinstance(out, GcidMerged):
                kind, gcid, other = "merge", out.payload.survivor, out.payload.merged
            elif isinstance(out, GcidAssigned):
                kind, gcid, other = "assign", out.payload.gcid, out.payload.previous_gcid
            else:  # pragma: no cover - the resolver emits no splits
                continue
            conn.execute(
                insert(identity_lineage).values(
                    event_id=out.event_id,
                    cause_event_id=event.event_id,
                    kind=kind,
                    gcid=gcid,
                    other_gcid=other,
                    detail={"event": out.model_dump(mode="json")},
                    decided_by=out.payload.decided_by,
                    settings_version=out.payload.settings_version,
                    at=now,
                )
            )
        return events

    @staticmethod
    def _outbox(conn: Connection, cause_event_id: str) -> list[IdentityEvent]:
        rows = conn.execute(
            select(identity_lineage.c.detail)
            .where(identity_lineage.c.cause_event_id == cause_event_id)
            .order_by(identity_lineage.c.seq)
        ).all()
        out: list[IdentityEvent] = []
        for row in rows:
            parsed = parse_event(Topic.IDENTITY.value, json.dumps(row.detail["event"]))
            assert isinstance(parsed, GcidAssigned | GcidMerged)
            out.append(parsed)
        return out

    def flush(self) -> None:
        return None  # effects are committed per event


def _lineage(
    conn: Connection, out: IdentityEvent, kind: str, gcid: str, other: str | None, at: datetime
) -> None:
    conn.execute(
        insert(identity_lineage).values(
            event_id=out.event_id,
            cause_event_id=out.event_id,
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
        event_id=make_event_id(
            SOURCE_SYSTEM, "operator-merge", f"{outcome.merged}>{outcome.survivor}", now.isoformat()
        ),
        source_system=SOURCE_SYSTEM,
        source_table="gcid",
        source_key=outcome.survivor,
        occurred_at=now,
        payload=GcidMergedPayload(
            survivor=outcome.survivor,
            merged=outcome.merged,
            records=tuple(_ref(r) for r in outcome.records),
            evidence=(),
            settings_version="operator",
            decided_by=decided_by,
            reason=reason,
        ),
    )
    _lineage(conn, out, "merge", outcome.survivor, outcome.merged, now)
    return out


def operator_split(
    conn: Connection, gcid: str, records: list[SourceRecordRef], reason: str, decided_by: str
) -> GcidSplit:
    """Move ``records`` out of ``gcid`` under a new GCID and record the lineage."""
    now = utcnow()
    outcome = split_gcid(SqlIdentityGraph(conn), gcid, records, now, new_gcid)
    out = GcidSplit(
        event_id=make_event_id(
            SOURCE_SYSTEM, "operator-split", f"{outcome.gcid}>{outcome.new_gcid}", now.isoformat()
        ),
        source_system=SOURCE_SYSTEM,
        source_table="gcid",
        source_key=outcome.gcid,
        occurred_at=now,
        payload=GcidSplitPayload(
            gcid=outcome.gcid,
            new_gcid=outcome.new_gcid,
            records=tuple(_ref(r) for r in outcome.records),
            settings_version="operator",
            decided_by=decided_by,
            reason=reason,
        ),
    )
    _lineage(conn, out, "split", outcome.gcid, outcome.new_gcid, now)
    return out

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

from sqlalchemy import Connection, Engine, select

from identity import (
    MATCHER_VERSION,
    IdentitySettings,
    Resolution,
    Scorer,
    load_default_settings,
    resolve,
)
from kernel.events import (
    BrainEvent,
    CustomerChanged,
    GcidAssigned,
    GcidAssignedPayload,
    GcidMerged,
    GcidMergedPayload,
    IdentityEvent,
    IdentityEvidence,
    Topic,
    make_event_id,
    parse_event,
    utcnow,
)
from kernel.storage.schema import identity_lineage, identity_record
from kernel.transport import EventPublisher
from pipelines.identity_graph import (
    IDENTITY_SOURCE,
    SqlIdentityGraph,
    identity_record_of,
    record_lineage,
    source_ref,
)
from pipelines.metrics import EVENTS_PRODUCED
from pipelines.processors._idempotency import already_processed, mark_processed

__all__ = ["IdentityHandler", "identity_events"]


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def identity_events(
    cause: CustomerChanged, res: Resolution, at: datetime, settings_version: str = MATCHER_VERSION
) -> list[IdentityEvent]:
    ref = res.record.ref
    out: list[IdentityEvent] = []
    for merged in res.merged:
        out.append(
            GcidMerged(
                event_id=make_event_id(IDENTITY_SOURCE, "merge", f"{merged}>{res.gcid}", cause.event_id),
                source_system=IDENTITY_SOURCE,
                source_table="gcid",
                source_key=res.gcid,
                occurred_at=at,
                trace_id=cause.trace_id,
                position=cause.event_id,
                payload=GcidMergedPayload(
                    survivor=res.gcid,
                    merged=merged,
                    records=(source_ref(ref),),
                    evidence=tuple(
                        IdentityEvidence(
                            attribute=e.attribute, level=e.level, weight=e.weight, other=source_ref(other)
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
            event_id=make_event_id(IDENTITY_SOURCE, "assign", str(ref), cause.event_id),
            source_system=IDENTITY_SOURCE,
            source_table="identity_record",
            source_key=str(ref),
            occurred_at=at,
            trace_id=cause.trace_id,
            position=cause.event_id,
            payload=GcidAssignedPayload(
                gcid=res.gcid,
                record=source_ref(ref),
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
            record_lineage(conn, out, event.event_id, now)
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

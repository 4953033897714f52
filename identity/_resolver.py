"""Resolve one source record to a GCID against everything seen so far."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from identity._graph import IdentityGraph, StoredRecord
from identity._matching import Evidence, MatchDecision, match
from identity._operations import fields_of
from identity._record import IdentityRecord, SourceRecordRef
from identity._scoring import Scorer

__all__ = ["MATCHER_VERSION", "Resolution", "new_gcid", "resolve"]

#: Version of the matching rules, written into every identity event's lineage.
MATCHER_VERSION = "deterministic-1"

#: A key shared by more records than this (an agent's phone) stops being used to find candidates.
MAX_RECORDS_PER_KEY = 50


def new_gcid() -> str:
    """An opaque, never-reused id: 80 random bits, Crockford-style alphabet."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "GC" + "".join(secrets.choice(alphabet) for _ in range(16))


@dataclass(frozen=True, slots=True)
class Resolution:
    record: IdentityRecord
    gcid: str
    previous_gcid: str | None
    created: bool
    merged: tuple[str, ...]
    evidence: tuple[tuple[SourceRecordRef, MatchDecision], ...]

    @property
    def changed(self) -> bool:
        return self.created or bool(self.merged) or self.previous_gcid != self.gcid


def resolve(
    record: IdentityRecord,
    graph: IdentityGraph,
    at: datetime,
    gcid_factory: Callable[[], str] = new_gcid,
    scorer: Scorer | None = None,
) -> Resolution:
    """Decide the GCID of ``record`` and apply it to ``graph`` (assign, create, merge).

    With a ``scorer`` (trained :class:`IdentitySettings`) pairs are decided by Fellegi–Sunter
    weights; without one by the deterministic guarded rules of :func:`identity.match`.
    """
    decide = match if scorer is None else _scored(scorer)
    current = graph.current(record.ref)
    matched: dict[str, None] = {}
    evidence: list[tuple[SourceRecordRef, MatchDecision]] = []
    if current is not None:
        matched[current.gcid] = None
    for candidate in graph.candidates(record.keys(), MAX_RECORDS_PER_KEY):
        if candidate.record.ref == record.ref:
            continue
        decision = decide(record, candidate.record)
        evidence.append((candidate.record.ref, decision))
        if decision.is_match:
            matched[candidate.gcid] = None

    created = False
    if not matched:
        gcid = gcid_factory()
        graph.create_gcid(gcid, at)
        created = True
        others: list[str] = []
    else:
        ordered = sorted(matched, key=lambda g: (graph.created_at(g), g))
        gcid, others = ordered[0], ordered[1:]
    for other in others:
        graph.merge(gcid, other, at)
    graph.put_record(StoredRecord(record, gcid), at)
    return Resolution(
        record=record,
        gcid=gcid,
        previous_gcid=current.gcid if current else None,
        created=created,
        merged=tuple(others),
        evidence=tuple(evidence),
    )


def _scored(scorer: Scorer) -> Callable[[IdentityRecord, IdentityRecord], MatchDecision]:
    def decide(a: IdentityRecord, b: IdentityRecord) -> MatchDecision:
        explained = scorer.explain(fields_of(a, b), fields_of(b, a))
        return MatchDecision(
            explained.is_match,
            tuple(Evidence(e.comparison, e.level, e.weight) for e in explained.evidence if e.level != "null"),
        )

    return decide

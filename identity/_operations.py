"""Operator (or rule) actions on the graph: merge two GCIDs, split records out of one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from identity._comparisons import FieldRecord
from identity._graph import IdentityGraph
from identity._mapping import standardise
from identity._record import IdentityRecord, SourceRecordRef
from identity.errors import InvalidIdentityOperation, UnknownGcid

__all__ = ["MergeOutcome", "SplitOutcome", "fields_of", "merge_gcids", "split_gcid"]


def fields_of(record: IdentityRecord) -> FieldRecord:
    """The matching view of an :class:`IdentityRecord` (first phone and e-mail)."""
    first, last = record.first_name, record.last_name
    if not first and not last and record.name:
        parts = record.name.split()
        first, last = parts[0], " ".join(parts[1:]) or None
    return standardise(
        {
            "first_name": first or "",
            "last_name": last or "",
            "dob": record.date_of_birth.strftime("%Y%m%d") if record.date_of_birth else "",
            "national_id": record.national_id or "",
            "phone": record.phones[0] if record.phones else "",
            "email": record.emails[0] if record.emails else "",
            "device_id": record.device_ids[0] if record.device_ids else "",
        }
    )


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    survivor: str
    merged: str
    records: tuple[SourceRecordRef, ...]


@dataclass(frozen=True, slots=True)
class SplitOutcome:
    gcid: str
    new_gcid: str
    records: tuple[SourceRecordRef, ...]


def _live(graph: IdentityGraph, gcid: str) -> str:
    live = graph.survivor(gcid)
    if live is None:
        raise UnknownGcid(f"GCID {gcid} does not exist")
    return live


def merge_gcids(graph: IdentityGraph, a: str, b: str, at: datetime) -> MergeOutcome:
    """Merge two GCIDs; the older survives and the other becomes its alias."""
    la, lb = _live(graph, a), _live(graph, b)
    if la == lb:
        raise InvalidIdentityOperation(f"{a} and {b} are already one GCID ({la})")
    survivor, merged = sorted((la, lb), key=lambda g: (graph.created_at(g), g))
    moved = graph.merge(survivor, merged, at)
    return MergeOutcome(survivor, merged, tuple(moved))


def split_gcid(
    graph: IdentityGraph,
    gcid: str,
    records: Sequence[SourceRecordRef],
    at: datetime,
    gcid_factory: Callable[[], str],
) -> SplitOutcome:
    """Move ``records`` out of ``gcid`` under a new GCID (never a reused one)."""
    live = _live(graph, gcid)
    members = set(graph.members(live))
    wanted = set(records)
    if not wanted:
        raise InvalidIdentityOperation("a split needs at least one record")
    if not wanted <= members:
        missing = ", ".join(str(r) for r in sorted(wanted - members))
        raise InvalidIdentityOperation(f"records not in {live}: {missing}")
    if wanted == members:
        raise InvalidIdentityOperation(f"a split must leave at least one record in {live}")
    new = gcid_factory()
    graph.create_gcid(new, at)
    graph.move(sorted(wanted), new, at)
    return SplitOutcome(live, new, tuple(sorted(wanted)))

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


def _pick(values: tuple[str, ...], other: tuple[str, ...] | None) -> str:
    """The value compared: one the other record also holds if any, else the first."""
    if other:
        shared = [v for v in values if v in other]
        if shared:
            return shared[0]
    return values[0] if values else ""


def fields_of(record: IdentityRecord, other: IdentityRecord | None = None) -> FieldRecord:
    """The matching view of an :class:`IdentityRecord`.

    Multi-valued identifiers (phones, e-mails, devices) contribute one value: one that ``other``
    also holds when given (the pair is compared on its shared identifier), else the first.
    """
    first, last = record.first_name, record.last_name
    if not first and not last and record.name:
        parts = record.name.split()
        first, last = parts[0], " ".join(parts[1:]) or None
    return standardise(
        {
            "first_name": first or "",
            "middle_name": record.middle_name or "",
            "last_name": last or "",
            "dob": record.date_of_birth.strftime("%Y%m%d") if record.date_of_birth else "",
            "sex": record.gender if record.gender in ("F", "M") else "",
            "national_id": record.national_id or "",
            "phone": _pick(record.phones, other.phones if other else None),
            "email": _pick(record.emails, other.emails if other else None),
            "device_id": _pick(record.device_ids, other.device_ids if other else None),
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

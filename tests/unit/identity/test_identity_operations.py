"""Operator merge and split on the graph; Fellegi–Sunter decisions inside ``resolve``."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import IdentityRecord, InMemoryIdentityGraph, Scorer, SourceRecordRef, resolve
from identity._operations import merge_gcids, split_gcid
from identity.errors import InvalidIdentityOperation, UnknownGcid

from .test_identity_linker import weighted

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 1, tzinfo=UTC)
SCORER = Scorer(weighted())
_counter = itertools.count()


def gcid() -> str:
    return f"GC{next(_counter):016d}"


def person(key: str, first: str, last: str, dob: date, **kw: object) -> IdentityRecord:
    return IdentityRecord(
        ref=SourceRecordRef("s", key),
        first_name=first,
        last_name=last,
        date_of_birth=dob,
        **kw,  # type: ignore[arg-type]
    )


def partition(graph: InMemoryIdentityGraph) -> set[frozenset[SourceRecordRef]]:
    return {frozenset(r) for r in graph.clusters().values()}


PEOPLE = [person(str(i), f"First{i}", f"Last{i}", date(1970 + i, 1 + i % 12, 1 + i)) for i in range(6)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=6, unique=True), st.data())
def test_merge_then_split_restores_the_clusters(indices: list[int], data: st.DataObject) -> None:
    graph = InMemoryIdentityGraph()
    gcids = [
        resolve(PEOPLE[i], graph, T + timedelta(minutes=n), gcid, SCORER).gcid for n, i in enumerate(indices)
    ]
    before = partition(graph)
    a, b = data.draw(st.sampled_from(list(itertools.combinations(gcids, 2))))
    merged = merge_gcids(graph, b, a, T + timedelta(hours=1))
    assert merged.survivor == a  # the older GCID survives whatever the argument order
    assert graph.survivor(b) == a  # the alias resolves
    assert len(partition(graph)) == len(before) - 1
    split = split_gcid(graph, b, list(merged.records), T + timedelta(hours=2), gcid)
    assert split.gcid == a and split.new_gcid not in gcids  # never reused
    assert partition(graph) == before


def test_split_rejects_records_outside_the_gcid_and_emptying_it() -> None:
    graph = InMemoryIdentityGraph()
    r0 = resolve(PEOPLE[0], graph, T, gcid, SCORER)
    r1 = resolve(PEOPLE[1], graph, T, gcid, SCORER)
    with pytest.raises(InvalidIdentityOperation):
        split_gcid(graph, r0.gcid, [PEOPLE[1].ref], T, gcid)
    with pytest.raises(InvalidIdentityOperation):
        split_gcid(graph, r0.gcid, [PEOPLE[0].ref], T, gcid)
    with pytest.raises(UnknownGcid):
        merge_gcids(graph, r0.gcid, "GCnope", T)
    with pytest.raises(InvalidIdentityOperation):
        merge_gcids(graph, r0.gcid, r0.gcid, T)
    assert r1.gcid != r0.gcid


def test_scored_resolve_links_duplicates_and_keeps_a_household_apart() -> None:
    graph = InMemoryIdentityGraph()
    grace = person(
        "1", "Grace", "Wanjiru", date(1990, 4, 12), phones=("+254712345678",), national_id="1234567"
    )
    grace_typo = person("2", "Grce", "Wanjiru", date(1990, 12, 4), phones=("+254712345678",))
    son = person("3", "Kevin", "Wanjiru", date(2012, 8, 1), phones=("+254712345678",))
    copied_id = person("4", "Peter", "Otieno", date(1985, 1, 1), national_id="1234567")
    g = [resolve(r, graph, T, gcid, SCORER) for r in (grace, grace_typo, son, copied_id)]
    assert g[0].gcid == g[1].gcid
    assert g[2].gcid != g[0].gcid and g[3].gcid != g[0].gcid
    decision = dict(g[2].evidence)[grace.ref]
    assert not decision.is_match
    assert {e.attribute: e.level for e in decision.evidence}["phone"] == "exact"

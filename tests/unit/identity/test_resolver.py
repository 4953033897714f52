import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from identity import IdentityRecord, InMemoryIdentityGraph, SourceRecordRef, resolve

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 1, tzinfo=UTC)


def rec(system: str, key: str, **kw) -> IdentityRecord:
    return IdentityRecord(ref=SourceRecordRef(system, key), **kw)


GRACE_V5 = rec(
    "v5",
    "C1",
    first_name="Grace",
    last_name="Wanjiru",
    national_id="1234567",
    phones=("+254712345678",),
    date_of_birth=date(1990, 4, 12),
)
GRACE_DFS = rec(
    "dfs",
    "9",
    first_name="Grace",
    last_name="Wanjiru",
    phones=("+254712345678",),
    emails=("grace@x.co",),
    date_of_birth=date(1990, 4, 12),
)
GRACE_CRM = rec("crm", "x", first_name="Grace", last_name="Wanjiru", emails=("grace@x.co",))
PETER = rec(
    "dfs",
    "10",
    first_name="Peter",
    last_name="Wanjiru",
    phones=("+254712345678",),
    date_of_birth=date(1960, 1, 1),
)


def _partition(graph: InMemoryIdentityGraph) -> set[frozenset[SourceRecordRef]]:
    return {frozenset(refs) for refs in graph.clusters().values()}


def test_cross_system_duplicates_share_one_gcid_and_a_household_member_does_not():
    graph = InMemoryIdentityGraph()
    g1 = resolve(GRACE_V5, graph, T)
    g2 = resolve(GRACE_DFS, graph, T)
    p = resolve(PETER, graph, T)
    assert g1.created and not g2.created
    assert g1.gcid == g2.gcid != p.gcid


def test_resolving_the_same_record_again_keeps_its_gcid():
    graph = InMemoryIdentityGraph()
    first = resolve(GRACE_V5, graph, T)
    again = resolve(GRACE_V5, graph, T + timedelta(days=1))
    assert again.gcid == first.gcid and again.previous_gcid == first.gcid and not again.changed


def test_bridge_record_merges_two_gcids_and_the_older_survives():
    graph = InMemoryIdentityGraph()
    v5 = resolve(GRACE_V5, graph, T)
    crm = resolve(GRACE_CRM, graph, T + timedelta(hours=1))  # email only: no link to v5 yet
    assert crm.gcid != v5.gcid
    bridge = resolve(GRACE_DFS, graph, T + timedelta(hours=2))  # phone links v5, email links crm
    assert bridge.gcid == v5.gcid
    assert bridge.merged == (crm.gcid,)
    assert graph.survivor(crm.gcid) == v5.gcid  # the alias still resolves
    assert len(_partition(graph)) == 1


@pytest.mark.parametrize("order", list(itertools.permutations([GRACE_V5, GRACE_DFS, GRACE_CRM, PETER])))
def test_clusters_do_not_depend_on_arrival_order(order):
    graph = InMemoryIdentityGraph()
    for i, record in enumerate(order):
        resolve(record, graph, T + timedelta(minutes=i))
    assert _partition(graph) == {
        frozenset({GRACE_V5.ref, GRACE_DFS.ref, GRACE_CRM.ref}),
        frozenset({PETER.ref}),
    }


def test_gcids_are_opaque_and_never_reused():
    graph = InMemoryIdentityGraph()
    ids = {resolve(rec("s", str(i), first_name="A", last_name=f"N{i}"), graph, T).gcid for i in range(200)}
    assert len(ids) == 200
    assert all(g.startswith("GC") and len(g) == 18 for g in ids)

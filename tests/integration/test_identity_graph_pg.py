"""The identity graph on real PostgreSQL: scored resolution, operator merge and split, lineage."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from identity import SourceRecordRef
from kernel.events import GcidAssigned, parse_event
from kernel.storage.schema import identity_lineage
from kernel.transport import InProcessBus
from pipelines.identity_graph import SqlIdentityGraph, operator_merge, operator_split
from pipelines.processors import IdentityHandler
from tests.factories import customer
from tests.unit.identity.test_identity_linker import weighted
from tests.unit.pipelines.processors.test_identity_handler import check_simulated_bank

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def test_scored_resolution_merge_split_and_lineage_on_postgres(pg_engine) -> None:
    settings = weighted()
    bus = InProcessBus()
    handler = IdentityHandler(pg_engine, bus.publisher(), settings)
    handler.handle(customer("v5", "C1"))
    handler.handle(customer("dfs", "9", national_id=None, first_name="Grce"))  # typo, same phone + dob
    handler.handle(customer("crm", "P1", first_name="Kevin", national_id=None, emails=(), date_of_birth=None))
    events = [parse_event("identity.events", r.value) for r in bus.records("identity.events")]
    assigned = [e for e in events if isinstance(e, GcidAssigned)]
    assert all(e.payload.settings_version == settings.settings_version for e in assigned)
    with pg_engine.begin() as conn:
        graph = SqlIdentityGraph(conn)
        grace, grace2, kevin = (graph.gcid_of(s, k) for s, k in (("v5", "C1"), ("dfs", "9"), ("crm", "P1")))
        assert grace is not None and kevin is not None
        assert grace == grace2 and kevin != grace  # a shared phone is not proof
    with pg_engine.begin() as conn:
        merged = operator_merge(conn, kevin, grace, "branch says same person", "operator:alice")
        assert (merged.payload.survivor, merged.payload.merged) == (grace, kevin)
    with pg_engine.begin() as conn:
        graph = SqlIdentityGraph(conn)
        assert graph.survivor(kevin) == grace and graph.gcid_of("crm", "P1") == grace
        split = operator_split(conn, kevin, [SourceRecordRef("crm", "P1")], "wrong merge", "operator:bob")
    with pg_engine.begin() as conn:
        graph = SqlIdentityGraph(conn)
        assert graph.gcid_of("crm", "P1") == split.payload.new_gcid
        assert graph.members(grace) == [SourceRecordRef("dfs", "9"), SourceRecordRef("v5", "C1")]
        kinds = conn.execute(
            select(identity_lineage.c.kind, identity_lineage.c.decided_by).order_by(identity_lineage.c.seq)
        ).all()
    assert [k for k, _ in kinds][-2:] == ["merge", "split"]
    assert [d for _, d in kinds][-2:] == ["operator:alice", "operator:bob"]


def test_simulated_bank_resolves_on_postgres_through_the_default_resolver(pg_engine) -> None:
    """The simulator's cross-system duplicates land on one GCID; households sharing a phone do not."""
    duplicated, households = check_simulated_bank(pg_engine, customers=600, seed=11)
    assert duplicated > 100 and households > 20

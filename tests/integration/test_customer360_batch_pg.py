"""The worker's set-based inserts on PostgreSQL (an array per column, one statement) write exactly
what one INSERT per row writes: every type, NULLs included."""

import pytest
from sqlalchemy import insert

from customer360 import projection_snapshot
from customer360._batch import ProjectionBatch
from tests.integration.c360_services import apply_clean, clean_run_snapshot
from tests.unit.customer360.c360_world import synthetic_stream, write_graph

pytestmark = pytest.mark.integration


def test_array_inserts_equal_row_by_row_inserts(pg_engine, monkeypatch) -> None:
    graph, events = synthetic_stream(40, seed=11)
    write_graph(pg_engine, graph)
    apply_clean(pg_engine, events)
    with pg_engine.connect() as conn:
        got = projection_snapshot(conn)

    monkeypatch.setattr(ProjectionBatch, "_insert", lambda self, table, rows: (insert(table), rows))
    expected = clean_run_snapshot(graph, events)
    assert {t: len(r) for t, r in got.items()} == {t: len(r) for t, r in expected.items()}
    assert sum(len(r) for r in got.values()) > len(events) // 2
    assert got == expected

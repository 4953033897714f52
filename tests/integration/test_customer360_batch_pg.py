"""The worker's batch statements on PostgreSQL (rows as one JSON row set, one statement per table,
sent in one pipelined round trip) write exactly what SQLAlchemy's one INSERT per row, one
statement at a time, writes: every type, JSON payloads and NULLs included."""

import pytest
from sqlalchemy import insert

from customer360 import projection_snapshot
from customer360._batch import ProjectionBatch
from infra.local_services import apply_clean
from kernel.storage import RoundTrip
from pipelines.identity_graph import write_graph
from pipelines.simulator import STREAM_START, synthetic_stream
from tests.integration.c360_services import clean_run_snapshot

pytestmark = pytest.mark.integration


def test_pipelined_row_sets_equal_row_by_row_inserts(pg_engine, monkeypatch) -> None:
    graph, events = synthetic_stream(40, seed=11)
    write_graph(pg_engine, graph, at=STREAM_START)
    apply_clean(pg_engine, events)
    with pg_engine.connect() as conn:
        got = projection_snapshot(conn)

    monkeypatch.setattr(RoundTrip, "_pipelined", property(lambda self: False))
    monkeypatch.setattr(ProjectionBatch, "_insert", lambda self, table, rows: (None, insert(table), rows))
    expected = clean_run_snapshot(graph, events)
    assert {t: len(r) for t, r in got.items()} == {t: len(r) for t, r in expected.items()}
    assert sum(len(r) for r in got.values()) > len(events) // 2
    assert got == expected

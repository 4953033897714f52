"""The reference of the Customer 360 tests on real Kafka + PostgreSQL: a clean run's projection.

Those tests' services, scratch resources and worker processes are :mod:`infra.local_services`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from customer360 import projection_snapshot
from infra.local_services import apply_clean, postgres_database
from kernel.events import BrainEvent
from kernel.storage import create_db_engine, migrate
from pipelines.identity_graph import write_graph
from pipelines.simulator import STREAM_START

Snapshot = dict[str, list[tuple[Any, ...]]]

__all__ = ["clean_run_snapshot"]


def clean_run_snapshot(graph: dict[str, list[tuple[str, str]]], events: Sequence[BrainEvent]) -> Snapshot:
    """The projection tables after :func:`apply_clean` of ``events`` on a fresh database holding
    ``graph``: what a run with crashes, restarts or several workers must equal."""
    with postgres_database() as url:
        engine = create_db_engine(url)
        migrate(engine)
        write_graph(engine, graph, at=STREAM_START)
        apply_clean(engine, events)
        with engine.connect() as conn:
            snapshot = projection_snapshot(conn)
        engine.dispose()
    return snapshot

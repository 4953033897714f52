"""``brain rebuild customer360`` on Kafka + PostgreSQL ends with the live projection's content."""

import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from customer360 import projection_snapshot
from infra.local_services import ROOT, publish, services_env, start_worker, wait_processed
from kernel.storage.schema import customer_360
from pipelines.identity_graph import write_graph
from pipelines.simulator import STREAM_START, synthetic_stream

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def test_rebuild_replays_the_topics_into_empty_tables_and_matches_the_live_projection(
    pg_engine, pg_url, topic_prefix, tmp_path
):
    graph, events = synthetic_stream(120, seed=9)
    write_graph(pg_engine, graph, at=STREAM_START)
    publish(topic_prefix, events)
    env = services_env(pg_url, topic_prefix, tmp_path)
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        wait_processed(pg_engine, len(events), 120, worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    with pg_engine.connect() as conn:
        live = projection_snapshot(conn)
        assert conn.execute(select(func.count()).select_from(customer_360)).scalar() == len(graph)

    done = subprocess.run(
        [sys.executable, "-m", "cli", "rebuild", "customer360", "--timeout-s", "120"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"replayed {len(events)} events" in done.stdout
    with pg_engine.connect() as conn:
        assert projection_snapshot(conn) == live

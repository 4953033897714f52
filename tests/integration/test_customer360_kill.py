"""kill -9 of the Customer 360 worker mid-stream, restart: the tables equal a clean run's.

Real Kafka and PostgreSQL; the worker is ``brain rebuild worker`` in a subprocess; the stream is
the issue's size, ~100k events of 5,000 customers (about two minutes on two cores).
``make bench-customer360-kill`` runs the same check with throughput figures
(``bench/customer360_kill.py``).
"""

import os
import signal

import pytest

from customer360 import projection_snapshot
from infra.local_services import processed, publish, services_env, start_worker, wait_processed
from pipelines.identity_graph import write_graph
from pipelines.simulator import STREAM_START, synthetic_stream
from tests.integration.c360_services import clean_run_snapshot

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]


def test_a_worker_killed_mid_stream_loses_and_duplicates_nothing(pg_engine, pg_url, topic_prefix, tmp_path):
    graph, events = synthetic_stream(5000, seed=5)
    assert len(events) >= 100_000
    write_graph(pg_engine, graph, at=STREAM_START)
    # The second part is published only after the kill: a fast machine cannot finish the stream
    # before the kill lands, so the restart always has work the killed worker never saw.
    cut = 2 * len(events) // 3
    publish(topic_prefix, events[:cut])
    env = services_env(pg_url, topic_prefix, tmp_path)
    log = tmp_path / "worker.log"

    worker = start_worker(env, log)
    try:
        wait_processed(pg_engine, len(events) // 3, 400, worker)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    killed_at = processed(pg_engine)
    assert 0 < killed_at <= cut, "the kill must land mid-stream"

    publish(topic_prefix, events[cut:])
    worker = start_worker(env, log)
    try:
        wait_processed(pg_engine, len(events), 600, worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    assert processed(pg_engine) == len(events)

    expected = clean_run_snapshot(graph, events)
    with pg_engine.connect() as conn:
        got = projection_snapshot(conn)
    assert {t: len(r) for t, r in got.items()} == {t: len(r) for t, r in expected.items()}
    assert got == expected

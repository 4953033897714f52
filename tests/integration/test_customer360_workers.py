"""Several Customer 360 workers in one consumer group, one of them killed mid-stream: the tables
equal a clean single-process run's (records of one GCID and its identity events sit in different
partitions, so concurrent workers recompute the same GCIDs; a killed member's partitions move)."""

import os
import signal

import pytest

from customer360 import projection_snapshot
from infra.local_services import processed, publish, services_env, start_worker, wait_processed
from pipelines.identity_graph import write_graph
from pipelines.simulator import STREAM_START, synthetic_stream
from tests.integration.c360_services import clean_run_snapshot

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def test_three_workers_one_killed_converge_to_the_clean_run(pg_engine, pg_url, topic_prefix, tmp_path):
    # ~20k events: enough that the kill (at a quarter) lands long before three workers finish
    graph, events = synthetic_stream(1000, seed=11)
    write_graph(pg_engine, graph, at=STREAM_START)
    publish(topic_prefix, events)
    env = services_env(pg_url, topic_prefix, tmp_path)
    workers = [start_worker(env, tmp_path / f"worker-{k}.log") for k in range(3)]
    try:
        wait_processed(pg_engine, len(events) // 4, 120, workers[0])
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(10)
        assert processed(pg_engine) < len(events), "the kill must land mid-stream"
        wait_processed(pg_engine, len(events), 240, workers[1])
    finally:
        for w in workers[1:]:
            w.send_signal(signal.SIGTERM)
        for w in workers[1:]:
            w.wait(30)
    assert processed(pg_engine) == len(events)

    expected = clean_run_snapshot(graph, events)
    with pg_engine.connect() as conn:
        got = projection_snapshot(conn)
    assert {t: len(r) for t, r in got.items()} == {t: len(r) for t, r in expected.items()}
    assert got == expected

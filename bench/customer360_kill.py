"""kill -9 of the Customer 360 worker during a run of ``--events`` events, restart, compare.

Services mode on real Kafka + PostgreSQL (the integration test runs the same check on a smaller
stream). Prints the throughput of both runs and whether the tables are equal; exits 1 if not.

    python -m bench.customer360_kill --events 100000
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from tempfile import mkdtemp

from customer360 import projection_snapshot
from infra.local_services import (
    apply_clean,
    kafka_topics,
    postgres_database,
    processed,
    publish,
    services_env,
    start_worker,
    wait_processed,
)
from kernel.storage import create_db_engine, migrate
from pipelines.identity_graph import write_graph
from pipelines.simulator import STREAM_START, synthetic_stream


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument(
        "--kill-after", type=float, default=0.4, help="Share of the events processed before the kill"
    )
    args = ap.parse_args()
    graph, events = synthetic_stream(max(1, args.events // 20), seed=3)
    print(f"{len(events)} events for {len(graph)} customers")
    run_dir = Path(mkdtemp())
    with postgres_database() as db, kafka_topics() as prefix:
        engine = create_db_engine(db)
        migrate(engine)
        write_graph(engine, graph, at=STREAM_START)
        publish(prefix, events)
        env = services_env(db, prefix, run_dir)
        started = time.perf_counter()
        worker = start_worker(env, run_dir / "worker.log")
        try:
            wait_processed(engine, int(len(events) * args.kill_after), 3600, worker)
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
        print(f"killed -9 after {processed(engine)} events")
        worker = start_worker(env, run_dir / "worker.log")
        try:
            wait_processed(engine, len(events), 3600, worker)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        live_s = time.perf_counter() - started
        print(
            f"worker with a kill + restart: {len(events)} events"
            f" in {live_s:.0f} s ({len(events) / live_s:.0f}/s)"
        )
        with postgres_database() as clean_db:
            clean = create_db_engine(clean_db)
            migrate(clean)
            write_graph(clean, graph, at=STREAM_START)
            t = time.perf_counter()
            apply_clean(clean, events)
            clean_s = time.perf_counter() - t
            print(f"clean run in process: {clean_s:.0f} s ({len(events) / clean_s:.0f}/s)")
            with clean.connect() as conn:
                expected = projection_snapshot(conn)
            clean.dispose()
        with engine.connect() as conn:
            got = projection_snapshot(conn)
        engine.dispose()
    rows = {t: len(r) for t, r in got.items()}
    equal = got == expected
    print(f"tables equal: {equal}; rows {rows}")
    sys.exit(0 if equal else 1)


if __name__ == "__main__":
    main()

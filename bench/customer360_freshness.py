"""Freshness of the Customer 360: event produced to Kafka → visible through the API.

Services mode on real Kafka + PostgreSQL: a fresh database and topic prefix, ``--customers``
resolved customers, the Customer 360 worker (``brain rebuild worker``) in a subprocess, the
FastAPI app under uvicorn. New transactions are produced at ``--rate`` events/s for
``--seconds``; every ``--sample``-th one is followed by a poller that asks
``GET /customer/{gcid}/transactions?limit=1`` until it is there. Prints p50/p99 per rate.

    python -m bench.customer360_freshness --rates 1000 5000
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

import httpx
import uvicorn

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap, dev_token_issuer
from bento_service.settings import ServiceSettings
from pipelines.bootstrap import event_key
from pipelines.events import topic_of
from pipelines.features import InMemoryFeatureStore
from pipelines.storage import create_db_engine, migrate
from pipelines.transport import InProcessBus
from pipelines.transport._kafka import KafkaEventPublisher
from tests.integration.c360_services import publish, services_env, start_worker, wait_processed
from tests.services import KAFKA, kafka_topics, postgres_database
from tests.unit.customer360.c360_world import synthetic_stream, txn, write_graph


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def run_rate(
    url: str, token: str, prefix: str, customers: int, rate: int, seconds: float, sample: int
) -> None:
    rng = random.Random(rate)
    now = datetime.now(UTC)
    n = int(rate * seconds)
    events = [
        txn(f"F{rate}-{i:07d}", f"C{rng.randrange(customers):07d}", at=now + timedelta(microseconds=i))
        for i in range(n)
    ]
    publisher = KafkaEventPublisher(KAFKA, "c360-bench", prefix)
    latencies: list[float] = []
    missed = 0
    lock = threading.Lock()
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=5)

    def follow(key: str, gcid: str, produced: float) -> None:
        nonlocal missed
        deadline = produced + 30
        while time.perf_counter() < deadline:
            body = client.get(f"/customer/{gcid}/transactions", params={"limit": 5}).json()
            if any(t["transaction_key"] == key for t in body["items"]):
                with lock:
                    latencies.append((time.perf_counter() - produced) * 1000)
                return
            time.sleep(0.002)
        with lock:
            missed += 1

    pool = ThreadPoolExecutor(max_workers=32)
    started = time.perf_counter()
    for i, e in enumerate(events):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        publisher.publish(topic_of(e).value, e.model_dump_json().encode(), key=event_key(e))
        if i % sample == 0:
            publisher.flush()
            gcid = f"GC{int(e.payload.customer_source_key[1:]):016d}"
            pool.submit(follow, e.source_key, gcid, time.perf_counter())
    publisher.flush()
    sent_s = time.perf_counter() - started
    pool.shutdown(wait=True)
    publisher.close()
    print(
        f"rate {rate}/s target, {n / sent_s:.0f}/s produced: {len(latencies)} samples,"
        f" {missed} not visible in 30 s;"
        f" produce→visible p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms,"
        f" max {max(latencies, default=float('nan')):.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--rates", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--port", type=int, default=3962)
    args = ap.parse_args()
    run_dir = Path(mkdtemp())
    with postgres_database() as db, kafka_topics() as prefix:
        engine = create_db_engine(db)
        migrate(engine)
        graph, events = synthetic_stream(args.customers, txns_per_customer=2)
        write_graph(engine, graph)
        publish(prefix, events)
        worker = start_worker(services_env(db, prefix, run_dir), run_dir / "worker.log")
        try:
            wait_processed(engine, len(events), 600, worker)
            settings = ServiceSettings(run_dir=run_dir, database_url=db)
            bootstrap(
                settings, engine=engine, features=InMemoryFeatureStore(), publisher=InProcessBus().publisher()
            )
            server = uvicorn.Server(
                uvicorn.Config(build_app(), host="127.0.0.1", port=args.port, log_level="warning")
            )
            threading.Thread(target=server.run, daemon=True).start()
            while not server.started:
                time.sleep(0.05)
            token = dev_token_issuer(settings).mint("bench", ["transaction:read"], timedelta(hours=1))
            for rate in args.rates:
                run_rate(
                    f"http://127.0.0.1:{args.port}",
                    token,
                    prefix,
                    args.customers,
                    rate,
                    args.seconds,
                    args.sample,
                )
            server.should_exit = True
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
            engine.dispose()
    print(f"(python {sys.version.split()[0]}; worker log {run_dir / 'worker.log'})")


if __name__ == "__main__":
    main()

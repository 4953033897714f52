"""Freshness of the Customer 360: event produced to Kafka → visible through the API.

Services mode on real Kafka + PostgreSQL: a fresh database and topic prefix, ``--customers``
resolved customers, ``--workers`` Customer 360 workers (``brain rebuild worker``, one consumer
group: the topics have 3 partitions, keyed by source customer), the FastAPI app under uvicorn in
``--api-workers`` processes. New transactions are produced at ``--rate`` events/s for
``--seconds`` by ``--producers`` processes (librdkafka through confluent-kafka when installed:
a pure-Python producer costs the two cores too much at 5,000/s; murmur2 partitioning like the
pipeline's own producer). About ``--samples`` events per second are followed: the producer
timestamps the send, and a poller asks ``GET /customer/{gcid}/transactions`` every ``--poll-ms``
until the transaction is there. Prints p50/p95/p99 per rate.

    python -m bench.customer360_freshness --rates 1000 5000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from pathlib import Path
from tempfile import mkdtemp

import uvicorn

from bench.customer360_reads import bootstrap_api, keepalive_get, pct, wait_http
from bento_service.app import build_app
from bento_service.bootstrap import dev_token_issuer
from bento_service.settings import ServiceSettings
from infra.local_services import (
    KAFKA,
    kafka_topics,
    postgres_database,
    processed,
    publish,
    services_env,
    start_worker,
    wait_processed,
)
from kernel.events import event_key, topic_of
from kernel.storage import create_db_engine, migrate
from pipelines.identity_graph import write_graph
from pipelines.simulator import STREAM_START, synthetic_stream, txn

#: transaction key, GCID, send time (perf_counter: one clock per host); no GCID: a producer's end
Sample = tuple[str, str, float]


def serve(db: str, run_dir: Path, sock: socket.socket) -> None:
    deps = bootstrap_api(db, run_dir)
    gc.collect()
    gc.freeze()  # as bento_service.service does after its bootstrap
    config = uvicorn.Config(
        build_app(deps),
        log_level="warning",
        loop="uvloop",
        http="httptools",
        access_log=False,
        timeout_keep_alive=300,
    )
    uvicorn.Server(config).run(sockets=[sock])


def produce(
    prefix: str,
    items: list[tuple[str, bytes, str, str, str]],
    rate: float,
    start: float,
    samples: Queue[Sample],
) -> None:
    """Send ``items`` (topic, value, key, transaction key, GCID or "") at ``rate``/s from
    ``start``; every item with a GCID is a sample: its send time goes to ``samples``."""
    try:
        from confluent_kafka import Producer

        producer = Producer(
            {
                "bootstrap.servers": KAFKA,
                "acks": "all",
                "linger.ms": 1,
                "partitioner": "murmur2_random",  # the Java/kafka-python partitioner of keyed records
                "queue.buffering.max.messages": 1_000_000,
            }
        )

        def send(topic: str, value: bytes, key: str) -> None:
            producer.produce(topic, value, key.encode())
            producer.poll(0)

        def flush() -> None:
            producer.flush(30)

        def connect(topic: str) -> None:
            producer.list_topics(topic, timeout=10)
    except ImportError:  # the pure-Python client: ~2,000/s per process on this machine
        from kafka import KafkaProducer

        kp = KafkaProducer(bootstrap_servers=KAFKA, acks="all", linger_ms=1)

        def send(topic: str, value: bytes, key: str) -> None:
            kp.send(topic, value=value, key=key.encode())

        def flush() -> None:
            kp.flush(30)

        def connect(topic: str) -> None:
            kp.partitions_for(topic)

    # warm-up, outside the measured run: the broker connection and the topic's metadata (without
    # it the first samples waited for them: the 130-250 ms "outliers" of earlier runs)
    for topic in sorted({prefix + item[0] for item in items}):
        connect(topic)
    time.sleep(max(0.0, start - time.perf_counter()))
    i = 0
    while i < len(items):
        due = min(len(items), int((time.perf_counter() - start) * rate) + 1)
        while i < due:
            topic, value, key, txn_key, gcid = items[i]
            send(prefix + topic, value, key)
            if gcid:
                samples.put((txn_key, gcid, time.perf_counter()))
            i += 1
        wait = start + i / rate - time.perf_counter()
        if wait > 0 and i < len(items):
            time.sleep(wait)
    flush()
    samples.put(("", "", time.perf_counter() - start))  # the end: how long sending took


async def follow_samples(
    port: int, token: str, samples: Queue[Sample], producers: int, poll_s: float, timeout_s: float
) -> tuple[list[float], int, float]:
    """Poll the API for every sample until its transaction is visible; (latencies ms, missed,
    seconds the producers took to send)."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    missed = 0
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def follow(key: str, gcid: str, sent: float) -> None:
        nonlocal missed
        conn = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
        request = (
            f"GET /customer/{gcid}/transactions?limit=20 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        needle = f'"transaction_key":"{key}"'.encode()
        while time.perf_counter() < sent + timeout_s:
            try:
                body = await keepalive_get(*conn, request)
            except (IndexError, ConnectionError, asyncio.IncompleteReadError):  # closed: reconnect
                conn = await asyncio.open_connection("127.0.0.1", port)
                body = await keepalive_get(*conn, request)
            if needle in body:
                latencies.append((time.perf_counter() - sent) * 1000)
                idle.append(conn)
                return
            # poll every poll_s at first, then at 5 % of the age: a backlog must not turn the
            # poller into a load generator that starves the workers it measures
            await asyncio.sleep(max(poll_s, (time.perf_counter() - sent) / 20))
        missed += 1
        idle.append(conn)

    tasks: list[asyncio.Task[None]] = []
    sending: list[float] = []
    while len(sending) < producers:
        key, gcid, at = await loop.run_in_executor(None, samples.get)
        if not gcid:
            sending.append(at)
            continue
        tasks.append(asyncio.create_task(follow(key, gcid, at)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return latencies, missed, max(sending)


def run_rate(
    port: int,
    token: str,
    prefix: str,
    customers: int,
    rate: int,
    seconds: float,
    samples_per_s: float,
    producers: int,
    poll_ms: float,
    label: str = "rate",
) -> None:
    rng = random.Random(f"{label}{rate}")
    now = datetime.now(UTC)
    n = int(rate * seconds)
    every = max(1, int(rate / samples_per_s))
    items: list[tuple[str, bytes, str, str, str]] = []
    for i in range(n):
        source = f"C{rng.randrange(customers):07d}"
        e = txn(f"F{label}{rate}-{i:07d}", source, at=now + timedelta(microseconds=i))
        gcid = f"GC{int(source[1:]):016d}" if i % every == 0 else ""
        items.append((topic_of(e).value, e.model_dump_json().encode(), event_key(e), e.source_key, gcid))
    ctx = multiprocessing.get_context("fork")
    queue: Queue[Sample] = ctx.Queue()
    start = time.perf_counter() + 2.0  # after the producers' warm-up
    procs = [
        ctx.Process(target=produce, args=(prefix, items[k::producers], rate / producers, start, queue))
        for k in range(producers)
    ]
    for p in procs:
        p.start()
    latencies, missed, sending_s = asyncio.run(
        follow_samples(port, token, queue, producers, poll_ms / 1000, timeout_s=30)
    )
    for p in procs:
        p.join(30)
    print(
        f"{label} {rate}/s offered for {seconds:.0f} s: {n / sending_s:.0f}/s produced;"
        f" {len(latencies)} samples, {missed} not visible in 30 s;"
        f" produce→visible p50 {pct(latencies, 0.5):.1f} ms, p95 {pct(latencies, 0.95):.1f} ms,"
        f" p99 {pct(latencies, 0.99):.1f} ms, max {max(latencies, default=float('nan')):.1f} ms;"
        f" load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--rates", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--samples", type=float, default=10, help="followed events per second")
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Customer 360 worker processes (one group). On two cores one is best: it drains 5,000/s,"
        " and each more process adds scheduling delays to every round trip (p99 at 5,000/s: 79-82 ms"
        " with one, 94-109 ms with two, 99-171 ms with three)",
    )
    ap.add_argument("--api-workers", type=int, default=1)
    ap.add_argument("--producers", type=int, default=1)
    ap.add_argument("--poll-ms", type=float, default=5, help="the poller's interval (resolution)")
    ap.add_argument("--worker-poll-ms", type=int, default=50, help="EB_POLL_TIMEOUT_MS of the workers")
    ap.add_argument("--port", type=int, default=3962)
    ap.add_argument(
        "--warmup-seconds",
        type=float,
        default=3,
        help="an unmeasured run at the first rate first (connections, plans, the consumer group settled)",
    )
    args = ap.parse_args()
    run_dir = Path(mkdtemp())
    with postgres_database() as db, kafka_topics() as prefix:
        engine = create_db_engine(db)
        migrate(engine)
        graph, events = synthetic_stream(args.customers, txns_per_customer=2)
        write_graph(engine, graph, at=STREAM_START)
        publish(prefix, events)
        env = services_env(db, prefix, run_dir) | {"EB_POLL_TIMEOUT_MS": str(args.worker_poll_ms)}
        workers = [start_worker(env, run_dir / f"worker-{k}.log") for k in range(args.workers)]
        servers: list[multiprocessing.process.BaseProcess] = []
        try:
            wait_processed(engine, len(events), 600, workers[0])
            settings = ServiceSettings(run_dir=run_dir, database_url=db)
            dev_token_issuer(settings).ensure_keys()
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", args.port))
            ctx = multiprocessing.get_context("fork")
            servers = [
                ctx.Process(target=serve, args=(db, run_dir, sock), daemon=True)
                for _ in range(args.api_workers)
            ]
            for server in servers:
                server.start()
            wait_http(f"http://127.0.0.1:{args.port}/docs")
            token = dev_token_issuer(settings).mint("bench", ["transaction:read"], timedelta(hours=1))
            print(
                f"{args.customers} customers; {args.workers} Customer 360 worker(s),"
                f" {args.api_workers} API process(es), {args.producers} producer process(es);"
                f" load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            steps = (
                [("warm-up (not counted)", args.rates[0], args.warmup_seconds)] if args.warmup_seconds else []
            )
            for label, rate, seconds in [*steps, *(("rate", r, args.seconds) for r in args.rates)]:
                before = processed(engine)
                run_rate(
                    args.port,
                    token,
                    prefix,
                    args.customers,
                    rate,
                    seconds,
                    args.samples,
                    args.producers,
                    args.poll_ms,
                    label,
                )
                wait_processed(engine, before + int(rate * seconds), 300, workers[0])
        finally:
            for server in servers:
                server.terminate()
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
            engine.dispose()
    print(f"(python {sys.version.split()[0]}; worker logs in {run_dir})")


if __name__ == "__main__":
    main()

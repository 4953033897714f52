"""Connector capture: throughput (rows/s into Kafka) and capture lag per mode.

Per capture mode — ``pg_logical`` (v5 ``Customers`` on PostgreSQL), ``mysql_binlog`` (DFS ``users``
on MariaDB), ``watermark_poll`` (CRM ``Customers`` on PostgreSQL) — in a fresh source database, a
fresh operational database and a fresh Kafka topic prefix:

* **throughput**: ``--rows`` rows are inserted (batches of 500 per transaction) while the
  connector is stopped, then the connector drains them: rows / drain time (read, map, publish
  with ``acks=all`` and flush, commit the position and the raw records);
* **lag**: the connector runs in a thread (``idle`` 50 ms between empty reads) while a writer
  commits one row per transaction at ``--rate`` rows/s for ``--seconds``; a Kafka consumer notes
  when each row's event arrives. Lag = event received − row committed (same clock).

    python -m bench.connectors_cdc --rows 20000 --rate 200 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pymysql

from infra.local_services import KAFKA, kafka_topics, postgres_database
from kernel.storage import create_db_engine, migrate
from kernel.transport._kafka import KafkaEventConsumer, KafkaEventPublisher
from pipelines.connectors import (
    BinlogSource,
    ChangeSource,
    Connector,
    ConnectorStore,
    PgLogicalSource,
    PollingSource,
    load_mappings,
)
from pipelines.simulator._sources_ddl import CRM_DDL, DFS_DDL, V5_DDL

KEY = b"bench-card-key-0123456789abcdef"
MODES = ("pg_logical", "mysql_binlog", "watermark_poll")

#: (mode) → SQL inserting one row with the email as the only parameter that varies
INSERT = {
    "pg_logical": 'INSERT INTO "Customers" ("Id","CustomerNumber","FirstName","LastName","Email",'
    "\"PrimaryPhone\",\"KYCStatus\") VALUES (%s,%s,'wanjiru','Kamau',%s,'0712345678','Verified')",
    "mysql_binlog": "INSERT INTO users (full_name,email,phone_number,kyc_tier) "
    "VALUES ('otieno ochieng',%s,'254722000111','TIER_2')",
    "watermark_poll": 'INSERT INTO "Customers" ("Id","CustomerReference","FirstName","LastName","Email",'
    "\"PhoneNumber\") VALUES (%s,%s,'akinyi','Otieno',%s,'0711000000')",
}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def params(mode: str, email: str) -> tuple[object, ...]:
    if mode == "mysql_binlog":
        return (email,)
    ref = uuid.uuid4()
    return (ref, f"R-{ref.hex[:16]}", email)


@contextmanager
def source_db(mode: str) -> Iterator[tuple[Callable[[], object], Callable[[str], ChangeSource]]]:
    """(connect, make_source(name)) for a fresh source database of ``mode``."""
    if mode == "mysql_binlog":
        db = f"bench_dfs_{uuid.uuid4().hex[:8]}"
        admin = pymysql.connect(host="127.0.0.1", user="brain", password="brain", autocommit=True)
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {db}")
            cur.execute(f"USE {db}")
            for stmt in DFS_DDL.split(";"):
                if stmt.strip():
                    cur.execute(stmt)
        tables = {m.table for m in load_mappings("dfs")}
        try:
            yield (
                lambda: pymysql.connect(
                    host="127.0.0.1", user="brain", password="brain", database=db, autocommit=True
                ),
                lambda name: BinlogSource(
                    "127.0.0.1", 3306, "brain", "brain", db, tables, name, start="latest"
                ),
            )
        finally:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE {db}")
            admin.close()
        return
    with postgres_database() as url:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(V5_DDL if mode == "pg_logical" else CRM_DDL)
        if mode == "pg_logical":
            tables = {m.table for m in load_mappings("v5")}
            yield (
                lambda: psycopg.connect(dsn, autocommit=True),
                lambda name: PgLogicalSource(dsn, f"eb_bench_{name}", tables),
            )
        else:
            engine = create_db_engine(url)
            yield (
                lambda: psycopg.connect(dsn, autocommit=True),
                lambda name: PollingSource(engine, load_mappings("crm")),
            )
            engine.dispose()


def insert(connect: Callable[[], object], mode: str, emails: list[str], batch: int = 500) -> None:
    conn = connect()
    try:
        for i in range(0, len(emails), batch):
            chunk = [params(mode, e) for e in emails[i : i + batch]]
            if mode == "mysql_binlog":
                with conn.cursor() as cur:  # type: ignore[attr-defined]
                    cur.executemany(INSERT[mode], chunk)
            else:
                with conn.transaction(), conn.cursor() as cur:  # type: ignore[attr-defined]
                    cur.executemany(INSERT[mode], chunk)
    finally:
        conn.close()  # type: ignore[attr-defined]


def run_mode(mode: str, rows: int, rate: float, seconds: float) -> dict[str, float]:
    system = {"pg_logical": "v5", "mysql_binlog": "dfs", "watermark_poll": "crm"}[mode]
    maps = load_mappings(system)
    tag = uuid.uuid4().hex[:6]
    with postgres_database() as ops_url, kafka_topics() as prefix, source_db(mode) as (connect, make):
        ops = create_db_engine(ops_url)
        migrate(ops)
        publisher = KafkaEventPublisher(KAFKA, "bench-connectors", prefix)
        source = make(tag)
        connector = Connector(f"bench-{mode}", source, maps, publisher, ConnectorStore(ops), KEY)
        connector.drain()  # slot / binlog start position pinned before the rows are written

        # throughput
        insert(connect, mode, [f"t{i}-{tag}@x.co.ke" for i in range(rows)])
        t0 = time.perf_counter()
        drained = connector.drain()
        elapsed = time.perf_counter() - t0
        assert drained == rows, f"{mode}: drained {drained} of {rows}"

        # lag: the connector runs, a writer commits one row per transaction at `rate`
        committed: dict[str, float] = {}
        received: dict[str, float] = {}
        consumer = KafkaEventConsumer(KAFKA, "bench", f"lag-{tag}", ["customer.events"], prefix)
        while consumer.poll(200):  # skip the throughput events, and get the partitions assigned
            pass
        stop = threading.Event()
        runner = threading.Thread(target=connector.run, args=(stop, 0.05))
        runner.start()

        def consume() -> None:
            while not stop.is_set() or len(received) < len(committed):
                for r in consumer.poll(100):
                    emails = json.loads(r.value)["payload"].get("emails") or []
                    for e in emails:
                        if e.startswith("l"):
                            received.setdefault(e, time.time())
                if stop.is_set() and time.time() > deadline:
                    break

        deadline = time.time() + seconds + 30
        reader = threading.Thread(target=consume)
        reader.start()
        conn = connect()
        n = int(rate * seconds)
        start = time.perf_counter()
        for i in range(n):
            email = f"l{i}-{tag}@x.co.ke"
            if mode == "mysql_binlog":
                with conn.cursor() as cur:  # type: ignore[attr-defined]
                    cur.execute(INSERT[mode], params(mode, email))
            else:
                conn.execute(INSERT[mode], params(mode, email))  # type: ignore[attr-defined]
            committed[email] = time.time()
            pause = start + (i + 1) / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        conn.close()  # type: ignore[attr-defined]
        while len(received) < len(committed) and time.time() < deadline:
            time.sleep(0.1)
        stop.set()
        runner.join()
        reader.join()
        consumer.close()
        publisher.close()
        if isinstance(source, PgLogicalSource):
            source.drop_slot()
        source.close()
        ops.dispose()
    lags = [received[e] - committed[e] for e in committed if e in received]
    return {
        "rows_per_s": rows / elapsed,
        "lag_p50_ms": pct(lags, 0.50) * 1000,
        "lag_p99_ms": pct(lags, 0.99) * 1000,
        "lag_max_ms": max(lags, default=float("nan")) * 1000,
        "missing": float(len(committed) - len(lags)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--rows", type=int, default=20_000, help="rows for the throughput run")
    parser.add_argument("--rate", type=float, default=200, help="rows/s written during the lag run")
    parser.add_argument("--seconds", type=float, default=10, help="length of the lag run")
    args = parser.parse_args()
    print(f"{'mode':<15} {'rows/s':>9} {'lag p50 ms':>11} {'lag p99 ms':>11} {'max ms':>9} {'missing':>8}")
    for mode in args.modes:
        r = run_mode(mode, args.rows, args.rate, args.seconds)
        print(
            f"{mode:<15} {r['rows_per_s']:>9.0f} {r['lag_p50_ms']:>11.1f} {r['lag_p99_ms']:>11.1f} "
            f"{r['lag_max_ms']:>9.1f} {r['missing']:>8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

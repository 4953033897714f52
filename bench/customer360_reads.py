"""Read latency of the Customer 360 API under concurrent load, on a bulk-loaded PostgreSQL.

Loads ``--customers`` golden records (with identity records, one account each) and
``--transactions`` transactions with PostgreSQL COPY into a fresh database, serves the FastAPI
app with uvicorn on 127.0.0.1, then runs ``--concurrency`` clients doing ``GET /customer/{gcid}``
and ``GET /customer/{gcid}/transactions?limit=20`` for ``--seconds`` each. Prints client-side
and service-side (time inside the app, measured by a middleware) p50/p95/p99.

    python -m bench.customer360_reads --customers 1000000 --transactions 20000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

import httpx
import psycopg
import uvicorn
from sqlalchemy import create_engine, text
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap, dev_token_issuer
from bento_service.settings import ServiceSettings
from pipelines.features import InMemoryFeatureStore
from pipelines.storage import create_db_engine, migrate
from pipelines.transport import InProcessBus
from tests.services import PG_ADMIN


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh database, dropped afterwards (waiting for autovacuum rather than forcing it out:
    ``brain`` may not terminate the autovacuum worker analysing the freshly loaded tables)."""
    name = f"brain_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://brain:brain@127.0.0.1:5432/{name}"
    finally:
        for _ in range(120):
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                break
            except Exception:  # still in use (autovacuum): wait
                time.sleep(1)
        admin.dispose()


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def _copy(conn: psycopg.Connection, table: str, cols: list[str], rows: object) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:  # type: ignore[attr-defined]
            copy.write_row(row)


def load(url: str, customers: int, transactions: int) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    rng = random.Random(1)
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("identity_record", "customer_360", "account_360", "transaction_360", "gcid"):
            conn.execute(f"ALTER TABLE {table} SET UNLOGGED")  # bulk load speed; a benchmark db
        _copy(
            conn,
            "gcid",
            ["gcid", "created_at", "merged_into", "updated_at"],
            ((f"GC{n:016d}", T0, None, T0) for n in range(customers)),
        )
        _copy(
            conn,
            "identity_record",
            [
                "source_system",
                "source_key",
                "gcid",
                "attributes",
                "occurred_at",
                "first_seen",
                "last_event_id",
            ],
            (("v5", f"C{n:08d}", f"GC{n:016d}", "{}", T0, T0, "bench") for n in range(customers)),
        )
        src = json.dumps({"source": "v5:C0", "as_of": T0.isoformat()})
        attrs = '{"full_name": ' + src + "}"
        _copy(
            conn,
            "customer_360",
            [
                "gcid",
                "customer_type",
                "full_name",
                "date_of_birth",
                "national_id",
                "phones",
                "emails",
                "address",
                "kyc_tier",
                "kyc_status",
                "segment",
                "pep",
                "sanctioned",
                "attribute_sources",
                "source_records",
                "updated_at",
                "national_ids",
                "addresses",
                "policy_version",
            ],
            (
                (
                    f"GC{n:016d}",
                    "person",
                    f"Person {n}",
                    "1990-01-01",
                    f"{10_000_000 + n}",
                    json.dumps([f"+2547{n:08d}"]),
                    json.dumps([f"p{n}@mail.co.ke"]),
                    "Nairobi",
                    2,
                    "verified",
                    "retail",
                    False,
                    False,
                    attrs,
                    json.dumps([f"v5:C{n:08d}"]),
                    T0,
                    json.dumps([f"{10_000_000 + n}"]),
                    json.dumps(["Nairobi"]),
                    "survivorship-1",
                )
                for n in range(customers)
            ),
        )
        _copy(
            conn,
            "account_360",
            [
                "source_system",
                "account_key",
                "customer_source_key",
                "account_type",
                "currency",
                "status",
                "balance",
                "available_balance",
                "source_updated_at",
                "last_event_id",
            ],
            (
                ("v5", f"A{n:08d}", f"C{n:08d}", "savings", "KES", "active", "100.00", "100.00", T0, "b")
                for n in range(customers)
            ),
        )
        per = max(1, transactions // customers)
        _copy(
            conn,
            "transaction_360",
            [
                "source_system",
                "transaction_key",
                "event_id",
                "customer_source_key",
                "account_key",
                "amount_minor",
                "currency",
                "direction",
                "txn_type",
                "channel",
                "status",
                "occurred_at",
                "source_updated_at",
            ],
            (
                (
                    "v5",
                    f"T{n:08d}-{t:03d}",
                    f"e{n:08d}-{t:03d}",
                    f"C{n:08d}",
                    f"A{n:08d}",
                    rng.randint(100, 500_000),
                    "KES",
                    "debit",
                    "payment",
                    "mpesa",
                    "posted",
                    T0 + timedelta(minutes=t),
                    T0 + timedelta(minutes=t),
                )
                for n in range(customers)
                for t in range(per)
            ),
        )
        conn.execute("ANALYZE")
    print(
        f"loaded {customers} customers, {customers * per} transactions"
        f" in {time.perf_counter() - started:.0f} s"
    )


class Timing:
    """ASGI middleware recording the time spent inside the app (service-side latency)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.samples: dict[str, list[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/timings":
            body, self.samples = self.samples, {}
            await JSONResponse(body)(scope, receive, send)
            return
        started = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            kind = "transactions" if scope["path"].endswith("/transactions") else "customer"
            self.samples.setdefault(kind, []).append((time.perf_counter() - started) * 1000)


async def hammer(
    url: str, token: str, customers: int, concurrency: int, seconds: float, path: str
) -> list[float]:
    lat: list[float] = []
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as c:
            while time.perf_counter() < deadline:
                gcid = f"GC{rng.randrange(customers):016d}"
                t = time.perf_counter()
                r = await c.get(path.format(gcid=gcid))
                lat.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return lat


def serve(db: str, run_dir: Path, port: int) -> None:
    settings = ServiceSettings(run_dir=run_dir, database_url=db)
    bootstrap(settings, features=InMemoryFeatureStore(), publisher=InProcessBus().publisher())
    uvicorn.run(Timing(build_app()), host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--transactions", type=int, default=2_000_000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--port", type=int, default=3961)
    args = ap.parse_args()
    with bench_database() as db:
        engine = create_db_engine(db)
        migrate(engine)
        load(db, args.customers, args.transactions)
        run_dir = Path(mkdtemp())
        settings = ServiceSettings(run_dir=run_dir, database_url=db)
        dev_token_issuer(settings).ensure_keys()
        server = multiprocessing.get_context("fork").Process(
            target=serve, args=(db, run_dir, args.port), daemon=True
        )
        server.start()  # its own process: the clients below do not share its GIL
        url = f"http://127.0.0.1:{args.port}"
        while True:
            try:
                httpx.get(f"{url}/_bench/timings", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = dev_token_issuer(settings).mint(
            "bench", ["customer:read", "transaction:read"], timedelta(hours=1)
        )
        for concurrency in args.concurrency:
            for name, path in (
                ("customer", "/customer/{gcid}"),
                ("transactions", "/customer/{gcid}/transactions?limit=20"),
            ):
                httpx.get(f"{url}/_bench/timings")
                lat = asyncio.run(hammer(url, token, args.customers, concurrency, args.seconds, path))
                svc = httpx.get(f"{url}/_bench/timings").json().get(name, [])
                print(
                    f"GET {path}: {len(lat)} requests, {len(lat) / args.seconds:.0f} req/s,"
                    f" concurrency {concurrency};"
                    f" client p50 {pct(lat, 0.5):.2f} p99 {pct(lat, 0.99):.2f} ms;"
                    f" service p50 {pct(svc, 0.5):.2f} p95 {pct(svc, 0.95):.2f} p99 {pct(svc, 0.99):.2f} ms"
                    f" (mean {statistics.fmean(svc):.2f})",
                    flush=True,
                )
        server.terminate()
        server.join(10)
        engine.dispose()


if __name__ == "__main__":
    main()

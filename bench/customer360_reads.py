"""Read latency of the Customer 360 API under concurrent load, on a bulk-loaded PostgreSQL.

Loads ``--customers`` golden records (with identity records, one account each) and
``--transactions`` transactions, generated inside PostgreSQL, into the database
``c360_bench_<customers>_<transactions>``, which is KEPT: a re-run with the same load reuses it
(``--fresh`` reloads; 1 M / 20 M takes ~8 minutes). Serves the FastAPI app with uvicorn in
``--workers`` processes, each on its own port (``--port`` + k; the clients are spread over them
round-robin, as a load balancer would), then runs ``--concurrency`` closed-loop clients (raw
keep-alive HTTP/1.1, cheap on the client side) doing ``GET /customer/{gcid}`` and
``GET /customer/{gcid}/transactions?limit=20`` for ``--seconds`` each. Prints client-side and
service-side (time inside the app, measured by a middleware in every worker) p50/p95/p99.

    python -m bench.customer360_reads --customers 1000000 --transactions 20000000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import socket
import statistics
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from tempfile import mkdtemp

import httpx
import uvicorn
from sqlalchemy import create_engine, text
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap, dev_token_issuer
from bento_service.deps import ServiceDeps
from bento_service.settings import ServiceSettings
from features import InMemoryFeatureStore
from infra.local_services import kept_database
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


_TABLES = ("identity_record", "customer_360", "account_360", "transaction_360", "gcid")

#: Generated inside PostgreSQL (generate_series): no rows cross the wire, so 20 M load in minutes.
_LOAD = [
    """INSERT INTO gcid (gcid, created_at, merged_into, updated_at)
       SELECT 'GC' || lpad(n::text, 16, '0'), :t0, NULL, :t0 FROM generate_series(0, :c - 1) n""",
    """INSERT INTO identity_record
         (source_system, source_key, gcid, attributes, occurred_at, first_seen, last_event_id)
       SELECT 'v5', 'C' || lpad(n::text, 8, '0'), 'GC' || lpad(n::text, 16, '0'), '{}', :t0, :t0, 'bench'
       FROM generate_series(0, :c - 1) n""",
    """INSERT INTO customer_360
         (gcid, customer_type, full_name, date_of_birth, national_id, phones, emails, address,
          kyc_tier, kyc_status, segment, pep, sanctioned, attribute_sources, source_records,
          updated_at, national_ids, addresses, policy_version)
       SELECT 'GC' || lpad(n::text, 16, '0'), 'person', 'Person ' || n, DATE '1990-01-01',
              (10000000 + n)::text, json_build_array('+2547' || lpad(n::text, 8, '0')),
              json_build_array('p' || n || '@mail.co.ke'), 'Nairobi', 2, 'verified', 'retail',
              false, false,
              json_build_object('full_name', json_build_object('source', 'v5:C0', 'as_of', :t0)),
              json_build_array('v5:C' || lpad(n::text, 8, '0')), :t0,
              json_build_array((10000000 + n)::text), json_build_array('Nairobi'), 'survivorship-1'
       FROM generate_series(0, :c - 1) n""",
    """INSERT INTO account_360
         (source_system, account_key, customer_source_key, account_type, currency, status, balance,
          available_balance, source_updated_at, last_event_id)
       SELECT 'v5', 'A' || lpad(n::text, 8, '0'), 'C' || lpad(n::text, 8, '0'), 'savings', 'KES',
              'active', 100.00, 100.00, :t0, 'b'
       FROM generate_series(0, :c - 1) n""",
    """INSERT INTO transaction_360
         (source_system, transaction_key, event_id, customer_source_key, account_key, amount_minor,
          currency, direction, txn_type, channel, status, occurred_at, source_updated_at)
       SELECT 'v5', 'T' || lpad(n::text, 8, '0') || '-' || lpad(t::text, 3, '0'),
              'e' || lpad(n::text, 8, '0') || '-' || lpad(t::text, 3, '0'),
              'C' || lpad(n::text, 8, '0'), 'A' || lpad(n::text, 8, '0'),
              100 + (n::bigint * 7919 + t * 104729) % 499900, 'KES', 'debit', 'payment', 'mpesa', 'posted',
              :t0 + make_interval(mins => t), :t0 + make_interval(mins => t)
       FROM generate_series(:lo, :hi - 1) n, generate_series(0, :per - 1) t""",
]


def loaded(url: str, customers: int, transactions: int) -> bool:
    """Whether the database already holds this load (its marker row, and the rows themselves:
    unlogged tables are emptied by a PostgreSQL crash)."""
    with create_engine(url).connect() as conn:
        if conn.execute(text("SELECT to_regclass('bench_load')")).scalar() is None:
            return False
        marker = conn.execute(text("SELECT customers, transactions FROM bench_load")).first()
        rows = conn.execute(text("SELECT EXISTS (SELECT 1 FROM transaction_360)")).scalar()
    return marker is not None and tuple(marker) == (customers, transactions) and bool(rows)


def load(url: str, customers: int, transactions: int) -> None:
    started = time.perf_counter()
    per = max(1, transactions // customers)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_load"))
        for table in _TABLES:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
            conn.execute(text(f"ALTER TABLE {table} SET UNLOGGED"))  # bulk load speed; a bench db
        params = {"t0": T0, "c": customers, "per": per}
        for sql in _LOAD[:-1]:
            conn.execute(text(sql), params)
        step = 50_000
        for lo in range(0, customers, step):  # transactions in slices: bounded transactions
            conn.execute(text(_LOAD[-1]), {**params, "lo": lo, "hi": min(customers, lo + step)})
            print(f"  transactions of customers < {min(customers, lo + step)}", flush=True)
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CREATE TABLE bench_load (customers bigint, transactions bigint)"))
        conn.execute(text("INSERT INTO bench_load VALUES (:c, :t)"), {"c": customers, "t": transactions})
    engine.dispose()
    print(
        f"loaded {customers} customers, {customers * per} transactions"
        f" in {time.perf_counter() - started:.0f} s"
    )


class Timing:
    """ASGI middleware recording the time spent inside the app (service-side latency).

    Each sample is appended to this worker process's own file, tagged with the phase the parent
    set in shared memory, so samples of every worker can be collected per phase."""

    def __init__(self, app: ASGIApp, phase: Synchronized[int], out: Path) -> None:
        self.app = app
        self.phase = phase
        self.fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/ping":
            await JSONResponse({})(scope, receive, send)
            return
        started = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            ms = (time.perf_counter() - started) * 1000
            os.write(self.fd, f"{self.phase.value}\t{ms:.4f}\n".encode())


def bootstrap_api(db: str, run_dir: Path) -> ServiceDeps:
    """The API's dependencies for the Customer 360 benches: the database, in-memory features, no
    Kafka, no models (the reads measured never touch them)."""
    settings = ServiceSettings(run_dir=run_dir, database_url=db)
    return bootstrap(
        settings,
        features=InMemoryFeatureStore(),
        publisher=InProcessBus().publisher(),
        scorers={},
        challengers={},
    )


def serve(db: str, run_dir: Path, sock: socket.socket, phase: Synchronized[int]) -> None:
    deps = bootstrap_api(db, run_dir)
    gc.collect()
    gc.freeze()  # as bento_service.service does after its bootstrap
    app = Timing(build_app(deps), phase, run_dir / f"timings-{os.getpid()}.tsv")
    config = uvicorn.Config(app, log_level="warning", loop="uvloop", http="httptools", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def service_samples(run_dir: Path, phase: int) -> list[float]:
    out: list[float] = []
    for f in run_dir.glob("timings-*.tsv"):
        for line in f.read_text().splitlines():
            p, _, ms = line.partition("\t")
            if p == str(phase):
                out.append(float(ms))
    return out


def wait_http(url: str) -> None:
    """Until ``url`` answers (a server process starting)."""
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)


async def keepalive_get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> bytes:
    """One keep-alive HTTP/1.1 GET on a raw connection (the server answers with Content-Length);
    the body, or RuntimeError for any status but 200. Cheap on the client side, which shares the
    machine's two cores with the service."""
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    if status != 200:
        raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
    return body


async def hammer(
    ports: list[int], token: str, customers: int, concurrency: int, seconds: float, path: str
) -> list[float]:
    """``concurrency`` closed-loop clients on raw keep-alive connections (cheap on the client side,
    which shares the machine's two cores with the service); client ``i`` talks to the API process
    on ``ports[i % len(ports)]``, as a round-robin load balancer in front of them would spread
    them (one shared listening socket let one process accept several clients while another got
    none: the same run measured 559 or 934 pages/s depending on where the connections landed)."""
    lat: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[seed % len(ports)])
        while time.perf_counter() < deadline:
            target = path.format(gcid=f"GC{rng.randrange(customers):016d}")
            request = (
                f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
            ).encode()
            t = time.perf_counter()
            await keepalive_get(reader, writer, request)
            lat.append((time.perf_counter() - t) * 1000)
        writer.close()

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--transactions", type=int, default=2_000_000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument(
        "--workers", type=int, default=2, help="API worker processes (each on its own port: --port + k)"
    )
    ap.add_argument("--port", type=int, default=3961)
    ap.add_argument("--database", default=None, help="default: c360_bench_<customers>_<transactions>")
    ap.add_argument("--fresh", action="store_true", help="drop and reload the database")
    args = ap.parse_args()
    name = args.database or f"c360_bench_{args.customers}_{args.transactions}"
    db, _ = kept_database(name, fresh=args.fresh)
    engine = create_db_engine(db)
    migrate(engine)
    engine.dispose()
    if loaded(db, args.customers, args.transactions):
        print(f"database {name} already holds the load: reusing it (--fresh reloads)")
    else:
        load(db, args.customers, args.transactions)
    run_dir = Path(mkdtemp())
    settings = ServiceSettings(run_dir=run_dir, database_url=db)
    dev_token_issuer(settings).ensure_keys()
    ports = [args.port + k for k in range(args.workers)]
    socks = []
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.set_inheritable(True)
        socks.append(sock)
    ctx = multiprocessing.get_context("fork")
    phase = ctx.Value("i", 0)
    servers = [ctx.Process(target=serve, args=(db, run_dir, sock, phase), daemon=True) for sock in socks]
    for server in servers:
        server.start()  # own processes: the clients below do not share their GIL
    for port in ports:
        wait_http(f"http://127.0.0.1:{port}/_bench/ping")
    token = dev_token_issuer(settings).mint(
        "bench", ["customer:read", "transaction:read"], timedelta(hours=1)
    )
    paths = (("customer", "/customer/{gcid}"), ("transactions", "/customer/{gcid}/transactions?limit=20"))
    for _, path in paths:  # warm every worker's connection pool and caches
        asyncio.run(hammer(ports, token, args.customers, 4 * args.workers, 1.0, path))
    print(f"{args.workers} API worker process(es); load average {os.getloadavg()[0]:.1f}", flush=True)
    for concurrency in args.concurrency:
        for _, path in paths:
            phase.value += 1
            lat = asyncio.run(hammer(ports, token, args.customers, concurrency, args.seconds, path))
            svc = service_samples(run_dir, phase.value)
            print(
                f"GET {path}: {len(lat)} requests, {len(lat) / args.seconds:.0f} req/s,"
                f" concurrency {concurrency};"
                f" client p50 {pct(lat, 0.5):.2f} p99 {pct(lat, 0.99):.2f} ms;"
                f" service p50 {pct(svc, 0.5):.2f} p95 {pct(svc, 0.95):.2f} p99 {pct(svc, 0.99):.2f} ms"
                f" (mean {statistics.fmean(svc):.2f})",
                flush=True,
            )
    for server in servers:
        server.terminate()
    for server in servers:
        server.join(10)


if __name__ == "__main__":
    main()

"""Where one decision's CPU goes: the decision engine in process against the real stores.

Services mode (PostgreSQL, Redis, Kafka from ``infra/up.sh``). A simulated bank is loaded through
the pipeline into a kept database (``brain_bench_profile``; reused by later runs unless
``--reload``) and a fraud champion is registered in its own MLflow database (as in
``bench/decisions.py``), then ``DecisionEngine.decide`` runs ``--n`` times (one thread, sequential) and the
HTTP path (auth, validation, serialisation) through the FastAPI app in process. Prints wall and
process-CPU time per decision and the top of a cProfile.
Run: ``python -m bench.decisions_profile [--n 2000] [--reload]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from bento_service.schemas import TransactionDecisionRequest
from infra.local_services import kept_database
from models.decisioning import DecisionType

ROOT = Path(__file__).resolve().parents[1]
DB = "brain_bench_profile"


def _load(db_url: str, run_dir: Path, customers: int) -> None:
    from infra.local_services import kafka_topics
    from pipelines.bootstrap import bootstrap
    from pipelines.settings import PipelineSettings
    from pipelines.simulator import simulate_bank

    with kafka_topics() as prefix:
        settings = PipelineSettings(
            profile="services",
            run_dir=run_dir,
            database_url=db_url,
            topic_prefix=prefix,
            metrics_port=0,
            consumer_group_prefix=f"prof-{uuid.uuid4().hex[:6]}",
        )
        pipeline = bootstrap(settings)
        pipeline.publish(simulate_bank(customers, 5, datetime.now(UTC)).events())
        pipeline.start()
        pipeline.wait_idle(quiet_s=2.0, timeout_s=1800)
        pipeline.stop()


def _backend_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to ``database`` (local server)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if not cmdline.startswith(b"postgres: ") or f" {database} ".encode() not in cmdline:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--threads", type=int, default=8, help="concurrent callers (a server's thread pool)")
    args = parser.parse_args()

    run_dir = ROOT / ".run" / "bench-profile"
    run_dir.mkdir(parents=True, exist_ok=True)
    db_url, load = kept_database(DB, fresh=args.reload)
    if load:
        print(f"loading {args.customers} simulated customers through the pipeline...", flush=True)
        _load(db_url, run_dir, args.customers)
    mlflow_url, fresh = kept_database(f"{DB}_mlflow", fresh=args.reload)
    if fresh:
        from bench.decisions import register_champion

        env = {k: v for k, v in os.environ.items() if not k.startswith("EB_")}
        register_champion(env | {"EB_PROFILE": "services", "EB_MLFLOW_TRACKING_URI": mlflow_url})

    from fastapi.testclient import TestClient

    from bento_service.app import build_app
    from bento_service.bootstrap import bootstrap, dev_token_issuer
    from bento_service.settings import ServiceSettings

    settings = ServiceSettings(
        profile="services",
        run_dir=run_dir,
        database_url=db_url,
        kafka_bootstrap="127.0.0.1:1",
        mlflow_tracking_uri=mlflow_url,
    )
    deps = bootstrap(settings)
    fraud = deps.decisions._scorers[DecisionType.TRANSACTION]
    deadline = time.monotonic() + 120
    while not fraud.ready and time.monotonic() < deadline:  # bootstrap loads it in the background
        time.sleep(0.2)
    print(f"transaction decisions score with the fraud champion: {fraud.ready}")
    with create_engine(db_url).connect() as conn:
        keys = [tuple(r) for r in conn.execute(text("select source_system, source_key from identity_record"))]
    rng = random.Random(1)
    requests = [
        TransactionDecisionRequest(
            source_system=s,
            customer_source_key=k,
            amount=Decimal(rng.randint(50, 90000)),
            currency="KES",
            txn_type="payment",
            channel="mpesa",
            device_id=f"dev-{k}",
        )
        for s, k in keys
    ]
    engine = deps.decisions
    with create_engine(db_url).connect() as conn:
        gcids = [r[0] for r in conn.execute(text("select distinct gcid from identity_record limit 200"))]
    direct = engine._features
    same = sum(direct.online_features(g) == deps.features.online_features(g) for g in gcids)
    present = sum(deps.features.online_features(g).event_timestamp is not None for g in gcids)
    print(
        f"direct online read == Feast get_online_features for {same}/{len(gcids)} GCIDs "
        f"({present} with values)"
    )
    for label, reader in (("Feast get_online_features", deps.features), ("direct online_read", direct)):
        cpu = time.process_time()
        for g in gcids * 5:
            reader.online_features(g)
        print(f"  {label:26s} {(time.process_time() - cpu) / len(gcids) / 5 * 1000:.3f} ms CPU per read")
    for r in requests[:50]:
        engine.decide(r, None)

    def timed(label: str, fn) -> None:
        """``--n`` calls from ``--threads`` threads; CPU of this process and of its PG backends."""
        counter = iter(range(args.n))
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                fn(i)

        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        wall, cpu, pg = time.perf_counter(), time.process_time(), _backend_cpu(DB)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall, cpu, pg = time.perf_counter() - wall, time.process_time() - cpu, _backend_cpu(DB) - pg
        print(
            f"{label:30s} {args.n / wall:6.0f}/s  CPU per decision: this process "
            f"{cpu / args.n * 1000:5.2f} ms, "
            f"PostgreSQL backends {pg / args.n * 1000:5.2f} ms"
        )

    timed("engine.decide (in process)", lambda i: engine.decide(requests[i % len(requests)], None))
    committer = engine._committer
    print(f"  group commit: {committer.appended} records in {committer.batches} batches")

    token = dev_token_issuer(settings).mint("bench", ["decision:write"], timedelta(hours=1))
    client = TestClient(build_app(deps))
    auth = {"Authorization": f"Bearer {token}"}
    bodies = [r.model_dump(mode="json") for r in requests]

    def http(i: int) -> None:
        resp = client.post("/v1/decisions/transaction", json=bodies[i % len(bodies)], headers=auth)
        assert resp.status_code == 200, resp.text

    timed("HTTP in process (TestClient)", http)

    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(args.n):
        engine.decide(requests[i % len(requests)], None)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(args.top)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    engine.close()
    from bento_service.decision_log import verify_chain

    report = verify_chain(deps.engine)
    print(f"decision log chain: {report.checked} records, ok={report.ok} {report.problems[:3]}")


if __name__ == "__main__":
    main()

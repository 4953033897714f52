"""Decision endpoint speed, side by side with the framework's floor and Feast's feature server.

Services mode on this machine (Kafka, Redis, PostgreSQL from ``infra/up.sh``): a simulated bank is
loaded through the real pipeline, then three servers are driven at constant arrival rates (open
model, ``bench/loadgen.py``): the decision endpoint (GCID + profile + online features + rules +
hash-chained log), the same BentoML deployment's two no-op endpoints (BentoML's own ``@bentoml.api``
``/v1/noop`` and ``/v1/noop/mounted`` on the mounted FastAPI app the decision routes are served
by; the framework's floor is the cheaper of the two), and ``feast serve`` answering the same
feature service. The maximum sustainable rate of each is the highest rate of the ladder that
meets ONE criterion, the same for all three: achieved ≥ 97 % of offered, errors ≤ 0.1 %, and p99 ≤
100 ms (the SLO: half the product's 200 ms, four times the decision's 25 ms target). The ladder
stops at the first rate that fails it (after one retry of that rate, to ride out a hiccup of the
shared machine). Then the decision endpoint runs at 70 % of its maximum.

Decisions score with an MLflow champion, as served: before the API starts, ``brain models train
fraud`` fits the fraud model on a simulated bank and ``brain models promote`` makes it the
champion (in a bench-only MLflow database); the bench checks that answers carry its version.

Fair references: the BentoML API and ``feast serve`` run the same number of worker processes
(``--workers``, default 2 on this 2-core machine), and ``feast serve`` gets
``--max-requests 0``: its default (1000) recycles the worker every 1000 requests, which is what
made it "saturate" at 50/s in the first run. Run: ``make bench-decisions`` (``--help`` for sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.loadgen import RunResult, build_request, run_constant_rate
from bento_service.bootstrap import dev_token_issuer
from bento_service.settings import ServiceSettings
from cli._process import stop_process_group
from infra.local_services import kafka_topics, kept_database
from pipelines.bootstrap import bootstrap
from pipelines.settings import PipelineSettings
from pipelines.simulator import simulate_bank

ROOT = Path(__file__).resolve().parents[1]
LADDER = [50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 1200, 1400, 1600, 2000]
SLO_P99_MS = 100.0
MAX_ERROR_SHARE = 0.001
MIN_ACHIEVED_SHARE = 0.97


def sustained(r: RunResult) -> bool:
    """The one criterion of a sustainable rate (the same for every endpoint measured)."""
    return (
        r.achieved >= MIN_ACHIEVED_SHARE * r.rate
        and r.errors <= MAX_ERROR_SHARE * max(r.sent, 1)
        and r.p(99) <= SLO_P99_MS
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait(url: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def register_champion(env: dict[str, str], customers: int = 300) -> None:
    """Train the fraud model and promote version 1 to ``champion`` in ``env``'s MLflow registry."""
    for args in (
        ["models", "train", "fraud", "--customers", str(customers)],
        ["models", "promote", "fraud", "1", "--alias", "champion"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"brain {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        print(f"  brain {' '.join(args)}: {done.stdout.strip().splitlines()[-1]}", flush=True)


def wait_for_champion(port: int, body: bytes, auth: dict[str, str], timeout_s: float = 120) -> str:
    """Decide until the answer carries the champion's version (it loads in the background)."""
    deadline = time.monotonic() + timeout_s
    answer: dict[str, object] = {}
    while time.monotonic() < deadline:
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/decisions/transaction",
            content=body,
            headers={**auth, "Content-Type": "application/json"},
            timeout=5,
        )
        answer = response.json()
        if response.status_code == 200 and answer.get("model_version"):
            return str(answer["model_version"])
        time.sleep(0.5)
    raise SystemExit(f"decisions never carried a model version: {answer}")


def _proc_cpu() -> dict[int, tuple[int, float, bytes]]:
    """pid -> (parent pid, CPU seconds so far, command line) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        out[int(pid)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, cmdline)
    return out


def cpu_meter(root: int, database: str):
    """A function returning (CPU s of ``root`` and its descendants, CPU s of the PostgreSQL
    backends connected to ``database``): the server's and the database's cost per request."""

    def measure() -> tuple[float, float]:
        procs = _proc_cpu()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in procs.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            if pid in procs:
                tree += procs[pid][1]
            todo += children.get(pid, [])
        marker = f" {database} ".encode()
        pg = sum(c for _, c, cmd in procs.values() if cmd.startswith(b"postgres: ") and marker in cmd)
        return tree, pg

    return measure


def _ladder(
    name: str, port: int, make, duration: float, ladder: list[int], cpu
) -> tuple[float, list[RunResult]]:
    results = []
    best = 0.0
    for rate in ladder:
        for attempt in (1, 2):
            before = cpu()
            r = run_constant_rate("127.0.0.1", port, make, rate, duration)
            after = cpu()
            results.append(r)
            ok = sustained(r)
            served = max(r.ok, 1)
            print(
                f"  {name:9s} {rate:6d}/s  achieved {r.achieved:8.1f}/s  "
                f"p50 {r.p(50):7.2f}  p99 {r.p(99):8.2f}  p99.9 {r.p(99.9):8.2f} ms  errors {r.errors}  "
                f"CPU/req server {(after[0] - before[0]) / served * 1000:5.2f} ms "
                f"PG {(after[1] - before[1]) / served * 1000:5.2f} ms"
                f"{'' if ok else '  <- not sustained' + (', retrying' if attempt == 1 else '')}",
                flush=True,
            )
            if ok:
                break
            time.sleep(2)  # let the backlog drain before the retry
        if not ok:
            break
        best = float(rate)
    return best, results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per rate step")
    parser.add_argument("--final-duration", type=float, default=20.0)
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes of the API and of feast serve"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=["decision", "noop", "noop_mounted", "feast"],
        help="endpoints to measure (default all)",
    )
    args = parser.parse_args()

    run_dir = ROOT / ".run" / "bench"
    run_dir.mkdir(parents=True, exist_ok=True)
    db_url, _ = kept_database("brain_bench", fresh=True)
    with kafka_topics() as prefix:
        common: dict[str, Any] = {
            "profile": "services",
            "run_dir": run_dir,
            "database_url": db_url,
            "topic_prefix": prefix,
        }
        settings = PipelineSettings(
            **common, metrics_port=0, consumer_group_prefix=f"bench-{uuid.uuid4().hex[:6]}"
        )
        print(f"loading a simulated bank of {args.customers} customers through the pipeline...", flush=True)
        pipeline = bootstrap(settings)
        bank = simulate_bank(args.customers, 5, datetime.now(UTC))
        pipeline.publish(bank.events())
        pipeline.start()
        pipeline.wait_idle(quiet_s=2.0, timeout_s=1800)
        pipeline.stop()

        mlflow_url, _ = kept_database("brain_bench_mlflow", fresh=True)
        service_settings = ServiceSettings(**common, mlflow_tracking_uri=mlflow_url)
        token = dev_token_issuer(service_settings).mint("bench", ["decision:write"], timedelta(hours=2))
        env = {k: v for k, v in os.environ.items() if not k.startswith("EB_")}
        env.update(
            {
                "EB_PROFILE": "services",
                "EB_RUN_DIR": str(run_dir),
                "EB_DATABASE_URL": db_url,
                "EB_TOPIC_PREFIX": prefix,
                "EB_METRICS_PORT": "0",
                "EB_API_WORKERS": str(args.workers),
                "EB_BENCH_ROUTES": "true",  # the no-op floors exist only in the bench's configuration
                "EB_MLFLOW_TRACKING_URI": mlflow_url,
            }
        )
        print("registering a fraud champion...", flush=True)
        register_champion(env)
        api_port, feast_port = _free_port(), _free_port()
        api = _start(
            [sys.executable, "-m", "cli", "serve", "--port", str(api_port)],
            env,
            ROOT,
            run_dir / "api.log",
        )
        feast = _start(
            [
                str(ROOT / ".venv" / "bin" / "feast"),
                "-f",
                "feature_store.services.yaml",
                "serve",
                "-h",
                "127.0.0.1",
                "-p",
                str(feast_port),
                "--no-access-log",
                "--workers",
                str(args.workers),
                "--max-requests",
                "0",
            ],
            env,
            ROOT / "feature_repo",
            run_dir / "feast.log",
        )
        try:
            _wait(f"http://127.0.0.1:{api_port}/healthz")
            _wait(f"http://127.0.0.1:{feast_port}/health")
            customers = [(c.source_system, c.source_key) for c in bank.customers]
            rng = random.Random(1)
            bodies = [
                json.dumps(
                    {
                        "source_system": s,
                        "customer_source_key": k,
                        "amount": f"{rng.randint(50, 90000)}.00",
                        "currency": "KES",
                        "txn_type": "payment",
                        "channel": "mpesa",
                        "device_id": f"dev-{k}",
                    }
                ).encode()
                for s, k in customers
            ]
            with create_engine(db_url).connect() as conn:
                gcids = [r[0] for r in conn.execute(text("select distinct gcid from identity_record"))]
            auth = {"Authorization": f"Bearer {token}"}
            print(f"decisions score with {wait_for_champion(api_port, bodies[0], auth)}", flush=True)

            def decision(i):
                return build_request(
                    "127.0.0.1",
                    api_port,
                    "/v1/decisions/transaction",
                    bodies[i % len(bodies)],
                    auth,
                )

            noop_req = build_request("127.0.0.1", api_port, "/v1/noop", b"{}", {})
            noop = lambda i: noop_req  # noqa: E731
            mounted_req = build_request("127.0.0.1", api_port, "/v1/noop/mounted", b"{}", {})
            noop_mounted = lambda i: mounted_req  # noqa: E731
            feast_bodies = [
                json.dumps({"feature_service": "decision_context_v1", "entities": {"gcid": [g]}}).encode()
                for g in gcids
            ]

            def feast_req(i):
                return build_request(
                    "127.0.0.1",
                    feast_port,
                    "/get-online-features",
                    feast_bodies[i % len(feast_bodies)],
                    {},
                )

            warm = ((decision, api_port), (noop, api_port), (noop_mounted, api_port), (feast_req, feast_port))
            for make, port in warm:
                run_constant_rate("127.0.0.1", port, make, 100, 3)  # warm-up (every worker)
            print(
                f"max sustainable rate (open model; {args.workers} workers each; criterion: achieved ≥ "
                f"{MIN_ACHIEVED_SHARE:.0%}, errors ≤ {MAX_ERROR_SHARE:.1%}, p99 ≤ {SLO_P99_MS:.0f} ms):",
                flush=True,
            )
            best = {k: float("nan") for k in ("decision", "noop", "noop_mounted", "feast")}
            db_name = db_url.rsplit("/", 1)[1]
            for name, make, port, proc in (
                ("decision", decision, api_port, api),
                ("noop", noop, api_port, api),
                ("noop_mounted", noop_mounted, api_port, api),
                ("feast", feast_req, feast_port, feast),
            ):
                if name in args.only:
                    meter = cpu_meter(proc.pid, db_name)
                    best[name], _ = _ladder(name, port, make, args.duration, LADDER, meter)
            at70 = max(1.0, 0.7 * best["decision"]) if best["decision"] == best["decision"] else 50.0
            final = run_constant_rate("127.0.0.1", api_port, decision, at70, args.final_duration)
            print(
                f"\ndecision at 70 % of its maximum ({at70:.0f}/s for {args.final_duration:.0f} s): "
                f"achieved {final.achieved:.1f}/s p50 {final.p(50):.2f} ms p99 {final.p(99):.2f} ms "
                f"p99.9 {final.p(99.9):.2f} ms errors {final.errors}"
            )

            def ratio(a: float, b: float) -> str:
                return f"{a / b:.2f}" if a == a and b == b and b > 0 else "n/a"

            # the framework's floor: the cheaper of BentoML's own no-op API and the mounted no-op
            floor = max((v for k, v in best.items() if k.startswith("noop") and v == v), default=float("nan"))
            print(
                f"ratios: decision/floor = {ratio(best['decision'], floor)} (target ≥ 0.8; "
                f"decision/noop = {ratio(best['decision'], best['noop'])}, "
                f"decision/noop_mounted = {ratio(best['decision'], best['noop_mounted'])}), "
                f"decision/feast = {ratio(best['decision'], best['feast'])} (target ≥ 1.0)"
            )
            print(
                json.dumps(
                    {
                        "max_rate": best,
                        "at70": {
                            "rate": at70,
                            "p50": final.p(50),
                            "p99": final.p(99),
                            "p999": final.p(99.9),
                            "errors": final.errors,
                        },
                    }
                )
            )
        finally:
            stop_process_group(api, grace_s=20.0)
            stop_process_group(feast, grace_s=20.0)


if __name__ == "__main__":
    main()

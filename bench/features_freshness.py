"""Event → online feature visible: p50/p95/p99 latency of the streaming feature path.

For each transaction event: the feature processor handles it and flushes (one micro-batch: push
online + append offline), then the online store is read through Feast until the new
``transaction_windows`` count is visible. Measured: from handing the event to the processor to
the read that sees it (so it includes GCID lookup, window update, Feast push and the read).

    python -m bench.features_freshness --profile services --events 2000   # Redis (needs infra/up.sh)
    python -m bench.features_freshness --profile embedded --events 500    # SQLite online store
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from features.feast_store import FeastFeatureStore
from kernel.events import TransactionPayload, TransactionPosted, make_event_id
from kernel.storage import create_db_engine, migrate
from pipelines.bootstrap import replay_features
from pipelines.processors.features import FeaturesHandler
from pipelines.settings import PipelineSettings, Profile
from pipelines.simulator import simulate_bank


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=["embedded", "services"], default="services")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    run_dir = Path(tempfile.mkdtemp(prefix="bench-features-"))
    settings = PipelineSettings(
        profile=Profile(args.profile),
        run_dir=run_dir,
        feast_repo=Path("feature_repo"),
        redis_url=args.redis_url,
        database_url=f"sqlite:///{run_dir / 'brain.db'}",
    )
    store = FeastFeatureStore(settings, project=f"bench_{int(time.time())}")
    store.apply()
    engine = create_db_engine(settings.db_url)
    migrate(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    bank = simulate_bank(args.customers, 5, now - timedelta(minutes=5), fraud_share=0.02)
    t = time.perf_counter()
    handler = replay_features(bank.events(), engine, store)
    print(f"warm-up: {len(bank.events())} events replayed in {time.perf_counter() - t:.1f} s")
    refs = sorted({(c.source_system, c.source_key) for c in bank.customers})
    from models.datasets import gcid_map

    gcids = gcid_map(engine)
    handler = FeaturesHandler(engine, store, activity=handler.activity)
    latencies, pushes = [], []
    # a reader polls the online store concurrently, as the decision service would
    target: dict[str, object] = {}
    seen = threading.Event()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            current = dict(target)
            if not current or seen.is_set():
                time.sleep(0.0002)
                continue
            got = store.store.get_online_features(
                features=["transaction_windows:txn_count_24h"], entity_rows=[{"gcid": current["gcid"]}]
            ).to_dict()["txn_count_24h"][0]
            if got == current["expected"] and target.get("i") == current["i"]:
                latencies.append(time.perf_counter() - current["t0"])  # type: ignore[operator]
                seen.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    for i in range(args.events):
        system, key = refs[i % len(refs)]
        gcid = gcids[(system, key)]
        event = TransactionPosted(
            event_id=make_event_id(system, "bench", f"B{i}", "1"),
            source_system=system,
            source_table="bench",
            source_key=f"B{i}",
            occurred_at=datetime.now(UTC),
            payload=TransactionPayload(
                customer_source_key=key,
                amount=Decimal("10.00"),
                currency="KES",
                direction="debit",
                txn_type="payment",
                channel="mpesa",
            ),
        )
        seen.clear()
        t0 = time.perf_counter()
        handler.handle(event)
        expected = handler.activity.transaction_rows(gcid)[0].values["txn_count_24h"]
        target.update({"gcid": gcid, "expected": expected, "t0": t0, "i": i})
        t1 = time.perf_counter()
        handler.flush()
        pushes.append(time.perf_counter() - t1)
        if not seen.wait(timeout=5):
            raise SystemExit(f"event {i} never became visible online")
    stop.set()
    ms = [x * 1000 for x in latencies]
    push_ms = [x * 1000 for x in pushes]
    print(f"profile={args.profile} events={args.events} customers={len(refs)}")
    print(
        f"event -> online visible ms: p50={_pct(ms, 0.5):.1f} p95={_pct(ms, 0.95):.1f} "
        f"p99={_pct(ms, 0.99):.1f} max={max(ms):.1f} mean={statistics.fmean(ms):.1f}"
    )
    print(f"flush (push online+offline) ms: p50={_pct(push_ms, 0.5):.1f} p99={_pct(push_ms, 0.99):.1f}")


if __name__ == "__main__":
    main()

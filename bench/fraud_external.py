"""Data we did not generate: the EvalML demo fraud transactions through the same feature
pipeline and training as the simulated bank, AUC on a time-based holdout.

Mapping (``../shared/data/fraud/evalml-fraud-transactions``, read in place: the ``.tar.gz`` is
a plain gzip CSV, see its README): ``card_id`` → a customer of source system ``evalml`` (one
``customer.changed`` per card, before its first transaction), each row → ``transaction.posted``
(``store_id`` → counterparty, ``customer_present`` → channel ``card`` else ``internet``,
``amount`` in major units; the 164 currency codes are ignored and amounts taken as KES so that
windows sum one currency), ``fraud`` → the label (as a confirmed ``fraud.alert`` would give).

    python -m bench.fraud_external                 # all 99,992 transactions
    python -m bench.fraud_external --cards 5000    # a sample of cards (faster)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

from features.feast_store import FeastFeatureStore
from kernel.events import (
    BrainEvent,
    CustomerChanged,
    CustomerPayload,
    TransactionPayload,
    TransactionPosted,
    make_event_id,
)
from kernel.storage import create_db_engine, migrate
from models.training import train
from models.workflow import build_training_frame
from pipelines.bootstrap import replay_features
from pipelines.settings import PipelineSettings

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fraud" / "evalml-fraud-transactions"


def load(cards: int | None, seed: int) -> pd.DataFrame:
    frame = pd.read_csv(DATA / "fraud_transactions.csv.tar.gz", compression="gzip")
    if cards is not None:
        chosen = pd.Series(frame["card_id"].unique()).sample(n=cards, random_state=seed)
        frame = frame[frame["card_id"].isin(set(chosen))]
    frame["occurred_at"] = pd.to_datetime(frame["datetime"], utc=True)
    return frame.sort_values("occurred_at", kind="stable").reset_index(drop=True)


def to_events(frame: pd.DataFrame) -> tuple[list[BrainEvent], set[str]]:
    events: list[BrainEvent] = []
    first = frame.groupby("card_id")["occurred_at"].min()
    for card, at in first.items():
        key = f"CARD-{card}"
        events.append(
            CustomerChanged(
                event_id=make_event_id("evalml", "cards", key, "1"),
                source_system="evalml",
                source_table="cards",
                source_key=key,
                occurred_at=at.to_pydatetime() - timedelta(seconds=1),
                payload=CustomerPayload(full_name=f"Cardholder {card}"),
            )
        )
    fraud: set[str] = set()
    for row in frame.itertuples(index=False):
        occurred: pd.Timestamp = row.occurred_at  # type: ignore[assignment]
        key = f"TX-{row.id}"
        txn = TransactionPosted(
            event_id=make_event_id("evalml", "transactions", key, "1"),
            source_system="evalml",
            source_table="transactions",
            source_key=key,
            occurred_at=occurred.to_pydatetime().astimezone(UTC),
            payload=TransactionPayload(
                customer_source_key=f"CARD-{row.card_id}",
                amount=Decimal(str(row.amount)),
                currency="KES",
                direction="debit",
                txn_type="payment",
                channel="card" if row.customer_present else "internet",
                counterparty=f"STORE-{row.store_id}",
                counterparty_type="merchant",
            ),
        )
        events.append(txn)
        if row.fraud:
            fraud.add(txn.event_id)
    return events, fraud


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=None, help="sample this many cards (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is absent: this benchmark needs ../shared/data")
    started = time.perf_counter()
    frame = load(args.cards, args.seed)
    events, fraud = to_events(frame)
    run_dir = Path(tempfile.mkdtemp(prefix="bench-fraud-external-"))
    settings = PipelineSettings(
        run_dir=run_dir, feast_repo=Path(__file__).resolve().parents[1] / "feature_repo"
    )
    engine = create_db_engine(settings.db_url)
    migrate(engine)
    store = FeastFeatureStore(settings)
    store.apply()
    t = time.perf_counter()
    replay_features(events, engine, store, batch_size=20_000)
    streamed_s = time.perf_counter() - t
    t = time.perf_counter()
    training = build_training_frame("fraud", store, engine, events, fraud_event_ids=sorted(fraud))
    join_s = time.perf_counter() - t
    model = train(training, test_share=0.3, review_capacity=0.05)
    e = model.evaluation
    print(
        f"transactions={len(frame)} cards={frame['card_id'].nunique()} fraud_rate={frame['fraud'].mean():.4f}"
    )
    print(f"streamed through the feature processor in {streamed_s:.1f} s; point-in-time join {join_s:.1f} s")
    print(f"holdout (latest 30 % by time, split at {model.split_at}): rows={e.rows} positives={e.positives}")
    print(
        f"ROC AUC={e.roc_auc:.4f} PR AUC={e.pr_auc:.4f} (base rate {e.positives / e.rows:.4f}) "
        f"Brier={e.brier:.4f} ECE={e.ece:.4f} precision@5%={e.precision_at_capacity:.4f}"
    )
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

"""Labelled entity frames for training, and the point-in-time feature join.

A label row is ``(gcid, event_timestamp, label, ...)``: the features a model may see are those
known strictly before the decision (``event_timestamp``). For a transaction that is its own
``occurred_at`` minus one microsecond, so its own amount never counts in its windows; the amount
comes in as a request field (``request_amount``), as at serving time.

* Fraud: every posted transaction of a resolved customer; label 1 when a ``fraud.alert`` with
  ``status="confirmed"`` names it (``transaction_source_key``), or when the simulator's ground
  truth says so.
* Credit: one row per resolved ``v5`` customer as of ``as_of``; label = defaulted within 90 days
  (simulator ground truth, or any outcome source mapped to ``(source_system, source_key) -> bool``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, select

from features.feast_store import FeastFeatureStore
from kernel.events import BrainEvent, FraudAlertRaised, TransactionPosted
from kernel.storage.schema import identity_record

__all__ = [
    "confirmed_fraud",
    "credit_entity_frame",
    "fraud_entity_frame",
    "gcid_map",
    "training_frame",
]

_BEFORE = timedelta(microseconds=1)


def gcid_map(engine: Engine) -> dict[tuple[str, str], str]:
    """``(source_system, source_key) -> GCID`` for every resolved source customer record."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(identity_record.c.source_system, identity_record.c.source_key, identity_record.c.gcid)
        ).all()
    return {(r.source_system, r.source_key): r.gcid for r in rows}


def confirmed_fraud(events: Iterable[BrainEvent]) -> set[tuple[str, str]]:
    """``(source_system, transaction source key)`` of the transactions confirmed as fraud."""
    return {
        (e.source_system, e.payload.transaction_source_key)
        for e in events
        if isinstance(e, FraudAlertRaised)
        and e.payload.status == "confirmed"
        and e.payload.transaction_source_key is not None
    }


def fraud_entity_frame(
    events: Iterable[BrainEvent],
    gcids: Mapping[tuple[str, str], str],
    *,
    fraud_event_ids: Collection[str] = (),
) -> pd.DataFrame:
    """One row per posted transaction of a resolved customer, labelled (see the module docstring)."""
    events = list(events)
    confirmed = confirmed_fraud(events)
    rows = []
    for e in events:
        if not isinstance(e, TransactionPosted) or e.payload.status != "posted":
            continue
        gcid = gcids.get((e.source_system, e.payload.customer_source_key))
        if gcid is None:
            continue
        label = (e.source_system, e.source_key) in confirmed or e.event_id in fraud_event_ids
        rows.append(
            {
                "gcid": gcid,
                "event_timestamp": e.occurred_at - _BEFORE,
                "request_amount": float(e.payload.amount),
                "request_epoch": e.occurred_at.timestamp(),
                "label": int(label),
                "event_id": e.event_id,
            }
        )
    return pd.DataFrame(rows).sort_values("event_timestamp", kind="stable").reset_index(drop=True)


def credit_entity_frame(
    outcomes: Mapping[tuple[str, str], bool],
    gcids: Mapping[tuple[str, str], str],
    as_of: datetime | Mapping[tuple[str, str], datetime],
) -> pd.DataFrame:
    """One row per resolved source customer with an outcome, as of its application time
    (``as_of`` per record, or one instant for all), sorted by time."""
    rows = []
    for ref, defaulted in sorted(outcomes.items()):
        gcid = gcids.get(ref)
        if gcid is None:
            continue
        at = as_of if isinstance(as_of, datetime) else as_of.get(ref)
        if at is not None:
            rows.append({"gcid": gcid, "event_timestamp": at - _BEFORE, "label": int(defaulted)})
    frame = pd.DataFrame(rows, columns=["gcid", "event_timestamp", "label"])
    frame["event_timestamp"] = pd.to_datetime(frame["event_timestamp"], utc=True)
    return frame.sort_values("event_timestamp", kind="stable").reset_index(drop=True)


def training_frame(store: FeastFeatureStore, service: str, entities: pd.DataFrame) -> pd.DataFrame:
    """``entities`` with the point-in-time values of the feature service ``service`` added."""
    return store.service_historical(service, entities)

"""Customer 360 processor: identity, account and transaction events → the 360 tables."""

from __future__ import annotations

from sqlalchemy import Engine

from customer360 import drop_golden, refresh_golden, upsert_account, upsert_transaction
from pipelines.events import (
    AccountChanged,
    BrainEvent,
    GcidAssigned,
    GcidMerged,
    Topic,
    TransactionPosted,
    utcnow,
)
from pipelines.processors._idempotency import already_processed, mark_processed

__all__ = ["Customer360Handler"]


class Customer360Handler:
    name = "customer360"
    topics: tuple[str, ...] = (Topic.IDENTITY.value, Topic.ACCOUNT.value, Topic.TRANSACTION.value)

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def handle(self, event: BrainEvent) -> None:
        with self._engine.begin() as conn:
            if already_processed(conn, self.name, event.event_id):
                return
            now = utcnow()
            if isinstance(event, GcidAssigned):
                refresh_golden(conn, event.payload.gcid, now)
                previous = event.payload.previous_gcid
                if previous and previous != event.payload.gcid:
                    refresh_golden(conn, previous, now)
            elif isinstance(event, GcidMerged):
                drop_golden(conn, event.payload.merged)
                refresh_golden(conn, event.payload.survivor, now)
            elif isinstance(event, AccountChanged):
                upsert_account(conn, event)
            elif isinstance(event, TransactionPosted):
                upsert_transaction(conn, event)
            mark_processed(conn, self.name, event.event_id, now)

    def flush(self) -> None:
        return None  # effects are committed per event

"""The tables the Customer 360 projection owns: emptied before a rebuild, compared after it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, select

from kernel.storage.schema import (
    account_360,
    channel_activity,
    customer_360,
    customer_360_key,
    customer_source_record,
    device,
    fraud_alert,
    processed_event,
    risk_profile,
    risk_signal,
    transaction_360,
)

__all__ = ["PROJECTION_TABLES", "clear_projection", "projection_snapshot"]

#: Every table the projection writes (``customer_source_record`` too: the processor keeps it from
#: ``customer.events``, whatever the identity processor does).
PROJECTION_TABLES: tuple[Table, ...] = (
    customer_source_record,
    customer_360,
    customer_360_key,
    account_360,
    transaction_360,
    fraud_alert,
    risk_signal,
    risk_profile,
    device,
    channel_activity,
)


def clear_projection(conn: Connection, consumer: str) -> None:
    """Empty the projection and forget which events ``consumer`` processed (a replay re-applies all)."""
    for table in PROJECTION_TABLES:
        conn.execute(delete(table))
    conn.execute(delete(processed_event).where(processed_event.c.consumer == consumer))


def projection_snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """The content of every projection table, rows sorted by primary key (for equality checks)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in PROJECTION_TABLES:
        keys = list(table.primary_key.columns)
        rows = conn.execute(select(table).order_by(*keys)).all()
        out[table.name] = [tuple(r) for r in rows]
    return out

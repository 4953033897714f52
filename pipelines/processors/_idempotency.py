"""Exactly-once effects: an event's effect and its 'processed' mark commit in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from kernel.storage.schema import processed_event

__all__ = ["already_processed", "mark_processed"]


def already_processed(conn: Connection, consumer: str, event_id: str) -> bool:
    row = conn.execute(
        select(processed_event.c.event_id).where(
            processed_event.c.consumer == consumer, processed_event.c.event_id == event_id
        )
    ).first()
    return row is not None


def mark_processed(conn: Connection, consumer: str, event_id: str, at: datetime) -> None:
    conn.execute(insert(processed_event).values(consumer=consumer, event_id=event_id, processed_at=at))

"""The envelope every canonical event shares, and the deterministic event id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = ["EVENT_NAMESPACE", "EventEnvelope", "UtcDatetime", "make_event_id", "utcnow"]

#: Namespace of the UUIDv5 event ids: the same source change always yields the same id.
EVENT_NAMESPACE = uuid.UUID("6b1f3c1e-4f0e-5d0a-9a63-8d1f0c2a7e51")


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (UTC ISO 8601)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_event_id(source_system: str, source_table: str, source_key: str, position: str) -> str:
    """Deterministic id of one source change: a replay of the same change produces the same id."""
    name = "\x1f".join((source_system, source_table, source_key, position))
    return str(uuid.uuid5(EVENT_NAMESPACE, name))


class EventEnvelope(BaseModel):
    """Fields common to every event on every topic (subclasses add ``event_type`` and ``payload``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Annotated[str, Field(min_length=8, max_length=64)]
    schema_version: Annotated[int, Field(ge=1)] = 1
    source_system: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")]
    source_table: Annotated[str, Field(min_length=1, max_length=128)]
    source_key: Annotated[str, Field(min_length=1, max_length=256)]
    occurred_at: UtcDatetime
    ingested_at: UtcDatetime = Field(default_factory=utcnow)
    trace_id: str | None = None
    position: str = Field(
        default="", description="Change position in the source (LSN, binlog pos, watermark)."
    )

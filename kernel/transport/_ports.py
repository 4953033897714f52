"""Transport ports: what processors and producers need from Kafka or the in-process bus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["EventConsumer", "EventPublisher", "Record"]


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default=())


class EventPublisher(Protocol):
    def publish(
        self, topic: str, value: bytes, key: str | None = None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        """Queue one record; :meth:`flush` makes every queued record durable."""

    def flush(self, timeout_s: float = 30.0) -> None: ...

    def close(self) -> None: ...


class EventConsumer(Protocol):
    """A consumer-group member. Offsets move only through :meth:`commit`, after the effect."""

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Record]: ...

    def commit(self) -> None:
        """Commit the position after every record returned by :meth:`poll` so far."""

    def rewind(self) -> None:
        """Go back to the last committed position (after a failed batch)."""

    def close(self) -> None: ...

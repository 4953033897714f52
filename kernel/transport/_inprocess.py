"""The embedded transport: an in-process, thread-safe log with consumer groups.

Same semantics the processors rely on from Kafka: ordered per topic, a group resumes from its
committed offset, uncommitted records are delivered again after :meth:`rewind` or a restart of the
consumer. Records live in memory for the life of the process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from kernel.transport._ports import Record

__all__ = ["InProcessBus", "InProcessConsumer", "InProcessPublisher"]


class InProcessBus:
    def __init__(self) -> None:
        self._logs: dict[str, list[Record]] = {}
        self._committed: dict[tuple[str, str], int] = {}
        self._changed = threading.Condition()

    def append(
        self, topic: str, value: bytes, key: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> None:
        with self._changed:
            log = self._logs.setdefault(topic, [])
            log.append(Record(topic, 0, len(log), key, value, headers))
            self._changed.notify_all()

    def records(self, topic: str) -> list[Record]:
        with self._changed:
            return list(self._logs.get(topic, ()))

    def end_offset(self, topic: str) -> int:
        with self._changed:
            return len(self._logs.get(topic, ()))

    def committed(self, group: str, topic: str) -> int:
        with self._changed:
            return self._committed.get((group, topic), 0)

    def commit(self, group: str, positions: dict[str, int]) -> None:
        with self._changed:
            for topic, offset in positions.items():
                self._committed[(group, topic)] = offset

    def read(self, topic: str, start: int, limit: int) -> list[Record]:
        with self._changed:
            return self._logs.get(topic, [])[start : start + limit]

    def wait(self, timeout_s: float) -> None:
        with self._changed:
            self._changed.wait(timeout_s)

    def publisher(self) -> InProcessPublisher:
        return InProcessPublisher(self)

    def consumer(self, group: str, topics: Iterable[str]) -> InProcessConsumer:
        return InProcessConsumer(self, group, tuple(topics))


class InProcessPublisher:
    def __init__(self, bus: InProcessBus) -> None:
        self._bus = bus

    def publish(
        self, topic: str, value: bytes, key: str | None = None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        self._bus.append(topic, value, key.encode() if key is not None else None, tuple(headers))

    def flush(self, timeout_s: float = 30.0) -> None:
        return None

    def close(self) -> None:
        return None


class InProcessConsumer:
    def __init__(self, bus: InProcessBus, group: str, topics: tuple[str, ...]) -> None:
        self._bus = bus
        self._group = group
        self._topics = topics
        self._position = {t: bus.committed(group, t) for t in topics}

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Record]:
        batch = self._take(max_records)
        if not batch and timeout_ms > 0:
            self._bus.wait(timeout_ms / 1000)
            batch = self._take(max_records)
        return batch

    def _take(self, max_records: int) -> list[Record]:
        batch: list[Record] = []
        for topic in self._topics:
            room = max_records - len(batch)
            if room <= 0:
                break
            got = self._bus.read(topic, self._position[topic], room)
            if got:
                self._position[topic] += len(got)
                batch.extend(got)
        return batch

    def commit(self) -> None:
        self._bus.commit(self._group, dict(self._position))

    def rewind(self) -> None:
        self._position = {t: self._bus.committed(self._group, t) for t in self._topics}

    def close(self) -> None:
        return None

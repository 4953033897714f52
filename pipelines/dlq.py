"""Dead-letter handling as a declared policy.

An event that cannot be parsed or validated is never dropped: the original bytes go to
``<topic>.dlq`` with the error, the source position and the processor in the headers, and the
processor moves on. Transient failures (a database or broker down) are retried instead.

Every consumer group of a topic rejects an invalid record alike (validation is the topic's), so
the record is dead-lettered **once**: :class:`DeadLetters` (the operational database) remembers
which source records went to the DLQ and which processors rejected them; a processor that finds
the record already there adds its name and publishes nothing. The record is published before it
is remembered, so a broker failure in between can at worst publish it twice (``brain dlq show``
and ``brain dlq replay`` count source records, not copies), never lose it.
:class:`ReplayLedger` remembers which DLQ records ``brain dlq replay`` re-sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from kernel.events import dlq_topic
from kernel.storage.schema import dead_letter as dead_letter_t
from kernel.storage.schema import dlq_replay
from kernel.transport import EventPublisher, Record
from pipelines.metrics import EVENTS_DEAD_LETTERED

__all__ = ["DeadLetters", "DlqPolicy", "ReplayLedger", "dead_letter"]

log = logging.getLogger(__name__)


class DlqPolicy(StrEnum):
    #: Invalid events go to ``<topic>.dlq``; the processor continues (default).
    DEAD_LETTER = "dead_letter"
    #: Invalid events stop the processor (for topics where order matters more than progress).
    HALT = "halt"


class DeadLetters:
    """Which source records were dead-lettered, and by which processors."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def seen_by(self, record: Record, processor: str) -> bool:
        """True when ``record`` is on the DLQ already (``processor`` is added to its rejecters)."""
        key = _source_key(record)
        with self._engine.begin() as conn:
            row = conn.execute(select(dead_letter_t.c.processors).where(*key)).first()
            if row is None:
                return False
            if processor not in row.processors:
                conn.execute(
                    update(dead_letter_t).where(*key).values(processors=[*row.processors, processor])
                )
        return True

    def remember(self, record: Record, processor: str, error: str) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(dead_letter_t).values(
                        source_topic=record.topic,
                        source_partition=record.partition,
                        source_offset=record.offset,
                        processors=[processor],
                        error=error,
                        dead_lettered_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:  # another group published it at the same time: a second copy
            self.seen_by(record, processor)


def _source_key(record: Record) -> tuple[ColumnElement[bool], ...]:
    return (
        dead_letter_t.c.source_topic == record.topic,
        dead_letter_t.c.source_partition == record.partition,
        dead_letter_t.c.source_offset == record.offset,
    )


def dead_letter(
    publisher: EventPublisher,
    record: Record,
    error: str,
    processor: str,
    ledger: DeadLetters | None = None,
) -> bool:
    """Send ``record`` to ``<topic>.dlq`` unless ``ledger`` knows it is there already; returns
    whether it was published."""
    if ledger is not None and ledger.seen_by(record, processor):
        log.info(
            "%s[%d]@%d: already dead-lettered (%s)", record.topic, record.partition, record.offset, processor
        )
        return False
    headers = [
        ("error", error.encode()[:4000]),
        ("source_topic", record.topic.encode()),
        ("source_partition", str(record.partition).encode()),
        ("source_offset", str(record.offset).encode()),
        ("processor", processor.encode()),
        *record.headers,
    ]
    key = record.key.decode(errors="replace") if record.key is not None else None
    publisher.publish(dlq_topic(record.topic), record.value, key=key, headers=headers)
    publisher.flush()
    if ledger is not None:
        ledger.remember(record, processor, error)
    EVENTS_DEAD_LETTERED.labels(record.topic).inc()
    log.warning("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, error)
    return True


class ReplayLedger:
    """The DLQ records ``brain dlq replay`` re-sent (by their DLQ topic, partition and offset)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def replayed(self, topic: str) -> set[tuple[int, int]]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(dlq_replay.c.dlq_partition, dlq_replay.c.dlq_offset).where(
                    dlq_replay.c.dlq_topic == topic
                )
            ).all()
        return {(r.dlq_partition, r.dlq_offset) for r in rows}

    def mark(self, topic: str, positions: Iterable[tuple[int, int]]) -> None:
        now = datetime.now(UTC)
        rows = [
            {"dlq_topic": topic, "dlq_partition": p, "dlq_offset": o, "replayed_at": now}
            for p, o in sorted(set(positions) - self.replayed(topic))
        ]
        if rows:
            with self._engine.begin() as conn:
                conn.execute(insert(dlq_replay), rows)

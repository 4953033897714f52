"""Dead-letter handling as a declared policy.

An event that cannot be parsed or validated is never dropped: the original bytes go to
``<topic>.dlq`` with the error, the source position and the processor in the headers, and the
processor moves on. Transient failures (a database or broker down) are retried instead.

Every consumer group of a topic rejects an invalid record alike (validation is the topic's), so
the record is dead-lettered **once**: :class:`DeadLetters` (the operational database) records
each rejected source record (topic, partition, offset) with the processors that rejected it. The
first processor to record it (a primary-key insert: groups racing on one record get one winner)
owns its publication and confirms it after the broker acknowledged; the others add their name
and publish nothing. An owner that fails between its claim and its confirmation re-delivers the
record to itself (commit after effect) and publishes it again: a second copy is possible
(``brain dlq show`` and ``brain dlq replay`` count source records), a loss is not.
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
    """Which source records were dead-lettered, by which processors; the first to reject a record
    owns its publication."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, record: Record, processor: str, error: str) -> bool:
        """True when ``processor`` must publish ``record`` to the DLQ: it is the first to reject
        it, or it was and its publication was not confirmed (it is retrying after a failure).
        Otherwise its name is added to the record's rejecters."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(dead_letter_t).values(
                        source_topic=record.topic,
                        source_partition=record.partition,
                        source_offset=record.offset,
                        processors=[processor],
                        error=error,
                        published=False,
                        dead_lettered_at=datetime.now(UTC),
                    )
                )
            return True
        except IntegrityError:
            pass
        key = _source_key(record)
        with self._engine.begin() as conn:
            row = conn.execute(
                select(dead_letter_t.c.processors, dead_letter_t.c.published).where(*key)
            ).one()
            if processor not in row.processors:
                processors = [*row.processors, processor]
                conn.execute(update(dead_letter_t).where(*key).values(processors=processors))
        return not row.published and row.processors[0] == processor

    def published(self, record: Record) -> None:
        """The owner's publication of ``record`` is on the broker."""
        with self._engine.begin() as conn:
            conn.execute(update(dead_letter_t).where(*_source_key(record)).values(published=True))


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
    """Send ``record`` to ``<topic>.dlq`` unless ``ledger`` gives its publication to another
    processor; returns whether this call published it."""
    if ledger is not None and not ledger.claim(record, processor, error):
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
        ledger.published(record)
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

"""``brain dlq replay``: re-send dead-lettered records after a fix.

Two kinds of records sit on ``<topic>.dlq``:

* rows a connector could not map (header ``dlq_kind=connector_row``; the body holds the source,
  key, position, error and raw values): they are mapped again with the *current* mapping files and
  the event is published with the same deterministic id it would have had;
* events a processor rejected (the original bytes): they are validated again and re-published.

Every replay reads the whole DLQ from its beginning (a consumer group of its own) and skips what
:class:`pipelines.dlq.ReplayLedger` says an earlier replay re-sent: records that still fail stay
where they are and are tried again by the next replay, after another fix. Copies of one source
record (dead-lettered by two consumer groups at once) are re-sent once.
:func:`dlq_entries` lists what sits on a DLQ, with its reasons, for ``brain dlq show``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kernel.errors import EnterpriseBrainError
from kernel.events import dlq_topic, event_key, parse_event, topic_of
from kernel.transport import EventConsumer, EventPublisher, Record
from pipelines.connectors._mapper import Change, Mapper
from pipelines.connectors._mapping import load_mappings
from pipelines.dlq import ReplayLedger

__all__ = ["DlqEntry", "ReplayResult", "dlq_entries", "replay_dlq"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    read: int
    replayed: int
    still_failing: int
    replayed_before: int = 0
    copies: int = 0

    def summary(self, dlq: str) -> str:
        if self.read == 0:
            return f"{dlq} is empty: nothing to replay"
        return (
            f"{dlq}: {self.read} records; replayed now {self.replayed}, replayed earlier "
            f"{self.replayed_before}, copies of a replayed record {self.copies}, still failing "
            f"{self.still_failing}"
        )


@dataclass(frozen=True, slots=True)
class DlqEntry:
    """One record on a DLQ: where it sits, what it came from, who rejected it and why."""

    partition: int
    offset: int
    source: str  # "topic[partition]@offset" of a processor's record, or the connector's row
    rejected_by: str
    error: str
    replayed: bool


def _source_of(record: Record) -> str:
    headers = dict(record.headers)
    if headers.get("dlq_kind") == b"connector_row":
        body = json.loads(record.value)
        return f"{body.get('source_system')}.{body.get('source_table')}@{body.get('position')}"
    topic, partition, offset = (
        headers.get(h, b"?").decode() for h in ("source_topic", "source_partition", "source_offset")
    )
    return f"{topic}[{partition}]@{offset}"


def _drain(consumer: EventConsumer, idle_polls: int) -> Iterator[list[Record]]:
    idle = 0
    while idle < idle_polls:
        records = consumer.poll(500)
        if not records:
            idle += 1
            continue
        idle = 0
        yield records


def dlq_entries(
    topic: str, consumer: EventConsumer, ledger: ReplayLedger | None = None, idle_polls: int = 3
) -> list[DlqEntry]:
    """What ``consumer`` (reading ``<topic>.dlq`` from its beginning) finds there."""
    replayed = ledger.replayed(dlq_topic(topic)) if ledger is not None else set()
    out: list[DlqEntry] = []
    for records in _drain(consumer, idle_polls):
        for record in records:
            headers = dict(record.headers)
            by = headers.get("processor") or headers.get("connector") or b"connector"
            out.append(
                DlqEntry(
                    record.partition,
                    record.offset,
                    _source_of(record),
                    by.decode(errors="replace"),
                    headers.get("error", b"").decode(errors="replace"),
                    (record.partition, record.offset) in replayed,
                )
            )
    return out


def replay_dlq(
    topic: str,
    consumer: EventConsumer,
    publisher: EventPublisher,
    card_key: bytes,
    idle_polls: int = 3,
    mappings_root: Path | None = None,
    ledger: ReplayLedger | None = None,
) -> ReplayResult:
    """Re-send what ``consumer`` reads from ``<topic>.dlq`` (from its beginning) and ``ledger``
    does not know as replayed; ``mappings_root``: the fixed mappings (default: the installed
    ``pipelines/connectors/mappings``)."""
    dlq = dlq_topic(topic)
    done = ledger.replayed(dlq) if ledger is not None else set()
    read = replayed = failing = before = copies = 0
    sources: set[str] = set()  # source records re-sent by this replay
    mappers: dict[tuple[str, str], list[Mapper]] = {}
    for records in _drain(consumer, idle_polls):
        sent: list[tuple[int, int]] = []
        for record in records:
            read += 1
            position = (record.partition, record.offset)
            source = _source_of(record)
            if position in done:
                before += 1
                continue
            if source in sources:
                copies += 1
                sent.append(position)
                continue
            headers = dict(record.headers)
            try:
                if headers.get("dlq_kind") == b"connector_row":
                    body = json.loads(record.value)
                    system, table = body["source_system"], body["source_table"]
                    if (system, table) not in mappers:
                        mappers[(system, table)] = [
                            Mapper(m, card_key)
                            for m in load_mappings(system, mappings_root)
                            if m.table == table
                        ]
                    at = body.get("committed_at")
                    change = Change(
                        table,
                        body["op"],
                        body["raw"],
                        body["position"],
                        datetime.fromisoformat(at) if at else None,
                    )
                    for mapper in mappers[(system, table)]:
                        event = mapper.map(change)
                        if event is not None:
                            publisher.publish(
                                topic_of(event).value,
                                event.model_dump_json().encode(),
                                key=event_key(event),
                                headers=[
                                    ("connector", str(body.get("connector", "")).encode()),
                                    ("raw_ref", f"{table}|{event.source_key}|{change.position}".encode()),
                                    ("replayed_from", dlq_topic(topic).encode()),
                                ],
                            )
                else:
                    event = parse_event(topic, record.value)
                    publisher.publish(
                        topic,
                        record.value,
                        key=event_key(event),
                        headers=[("replayed_from", dlq_topic(topic).encode())],
                    )
                replayed += 1
                sources.add(source)
                sent.append(position)
            except (EnterpriseBrainError, KeyError, ValueError) as exc:
                failing += 1
                log.warning("%s: still failing: %s", dlq, exc)
        publisher.flush()
        if ledger is not None:
            ledger.mark(dlq, sent)  # after the flush: what is marked was sent
        consumer.commit()
    return ReplayResult(read, replayed, failing, before, copies)

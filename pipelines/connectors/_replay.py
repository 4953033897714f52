"""``brain dlq replay``: re-send dead-lettered records after a fix.

Two kinds of records sit on ``<topic>.dlq``:

* rows a connector could not map (header ``dlq_kind=connector_row``; the body holds the source,
  key, position, error and raw values): they are mapped again with the *current* mapping files and
  the event is published with the same deterministic id it would have had;
* events a processor rejected (the original bytes): they are validated again and re-published.

Records that still fail are counted and left where they are (the replay group's offset moves on,
so a second replay after another fix must use a new ``--group``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kernel.errors import EnterpriseBrainError
from kernel.events import dlq_topic, event_key, parse_event, topic_of
from kernel.transport import EventConsumer, EventPublisher
from pipelines.connectors._mapper import Change, Mapper
from pipelines.connectors._mapping import load_mappings

__all__ = ["ReplayResult", "replay_dlq"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    read: int
    replayed: int
    still_failing: int


def replay_dlq(
    topic: str,
    consumer: EventConsumer,
    publisher: EventPublisher,
    card_key: bytes,
    idle_polls: int = 3,
    mappings_root: Path | None = None,
) -> ReplayResult:
    """Re-send what ``consumer`` reads from ``<topic>.dlq``; ``mappings_root``: the fixed mappings
    (default: the installed ``pipelines/connectors/mappings``)."""
    read = replayed = failing = idle = 0
    mappers: dict[tuple[str, str], list[Mapper]] = {}
    while idle < idle_polls:
        records = consumer.poll(500)
        if not records:
            idle += 1
            continue
        idle = 0
        for record in records:
            read += 1
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
            except (EnterpriseBrainError, KeyError, ValueError) as exc:
                failing += 1
                log.warning("%s: still failing: %s", dlq_topic(topic), exc)
        publisher.flush()
        consumer.commit()
    if read == 0:
        log.info("%s: nothing to replay", dlq_topic(topic))
    return ReplayResult(read, replayed, failing)

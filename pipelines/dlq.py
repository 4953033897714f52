"""Dead-letter handling as a declared policy.

An event that cannot be parsed or validated is never dropped: the original bytes go to
``<topic>.dlq`` with the error, the source position and the processor in the headers, and the
processor moves on. Transient failures (a database or broker down) are retried instead.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from kernel.events import dlq_topic
from kernel.transport import EventPublisher, Record
from pipelines.metrics import EVENTS_DEAD_LETTERED

__all__ = ["DlqPolicy", "dead_letter"]

log = logging.getLogger(__name__)


class DlqPolicy(StrEnum):
    #: Invalid events go to ``<topic>.dlq``; the processor continues (default).
    DEAD_LETTER = "dead_letter"
    #: Invalid events stop the processor (for topics where order matters more than progress).
    HALT = "halt"


def dead_letter(publisher: EventPublisher, record: Record, error: str, processor: str) -> None:
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
    EVENTS_DEAD_LETTERED.labels(record.topic).inc()
    log.warning("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, error)

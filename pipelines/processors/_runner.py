"""The consumer loop every processor shares: poll, validate, handle, commit after success.

* An event that fails validation (or that a handler rejects as invalid, a 4xx error) goes to the
  DLQ per :class:`pipelines.dlq.DlqPolicy` (once, whichever group rejects it first, when the runner
  has the :class:`pipelines.dlq.DeadLetters` ledger) and the loop continues.
* Any other failure (database or broker down) rewinds to the last committed offset and retries
  with backoff; handlers are idempotent on ``event_id``, so the redelivered events change nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from kernel.errors import EnterpriseBrainError
from kernel.events import BrainEvent, parse_event
from kernel.transport import EventConsumer, EventPublisher
from pipelines.dlq import DeadLetters, DlqPolicy, dead_letter
from pipelines.metrics import EVENTS_CONSUMED, EVENTS_FAILED, PROCESSING_SECONDS

__all__ = ["Handler", "ProcessorRunner"]

log = logging.getLogger(__name__)


class Handler(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def topics(self) -> tuple[str, ...]: ...

    def handle(self, event: BrainEvent) -> None:
        """Apply one event; idempotent on ``event.event_id``."""

    def flush(self) -> None:
        """Make the batch's buffered effects durable; called before the offsets are committed."""


class ProcessorRunner:
    def __init__(
        self,
        handler: Handler,
        consumer: EventConsumer,
        dlq_publisher: EventPublisher,
        policy: DlqPolicy = DlqPolicy.DEAD_LETTER,
        poll_timeout_ms: int = 200,
        max_backoff_s: float = 5.0,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        self.handler = handler
        self._consumer = consumer
        self._dlq = dlq_publisher
        self._policy = policy
        self._dead_letters = dead_letters
        self._poll_timeout_ms = poll_timeout_ms
        self._max_backoff_s = max_backoff_s
        self.handled = 0
        #: True once a poll came back empty (caught up); False while a batch is in flight.
        self.caught_up = False
        self._processing = PROCESSING_SECONDS.labels(handler.name)
        self._consumed: dict[str, Any] = {}  # topic → labelled counter (labels() locks: not per event)

    def run_once(self) -> int:
        """Handle one polled batch and commit it; returns how many records it took."""
        records = self._consumer.poll(self._poll_timeout_ms)
        self.caught_up = not records
        name = self.handler.name
        for record in records:
            started = time.perf_counter()
            try:
                self.handler.handle(parse_event(record.topic, record.value))
            except EnterpriseBrainError as exc:
                if exc.status >= 500:
                    raise
                EVENTS_FAILED.labels(name, record.topic, "invalid").inc()
                if self._policy is DlqPolicy.HALT:
                    raise
                dead_letter(self._dlq, record, f"{exc.code}: {exc.detail}", name, self._dead_letters)
            else:
                consumed = self._consumed.get(record.topic)
                if consumed is None:
                    consumed = self._consumed[record.topic] = EVENTS_CONSUMED.labels(name, record.topic)
                consumed.inc()
            self._processing.observe(time.perf_counter() - started)
        if records:
            self.handler.flush()
            self._consumer.commit()
            self.handled += len(records)
        return len(records)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.1
        while not stop.is_set():
            try:
                self.run_once()
                backoff = 0.1
            except Exception:
                EVENTS_FAILED.labels(self.handler.name, "*", "transient").inc()
                log.exception("processor %s failed; retrying from the last commit", self.handler.name)
                try:
                    self._consumer.rewind()
                except Exception:
                    log.exception("rewind failed for %s", self.handler.name)
                stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
        self._consumer.close()

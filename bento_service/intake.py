"""Channel-event intake: web, mobile and USSD logins and sessions posted by the channel back ends.

Each item of a batch is validated on its own against the canonical :class:`LoginAttempted` model
(the wire JSON of ``login.events``, exactly what a processor accepts):

* valid items are published to ``login.events`` (key: source customer, as every producer does),
  then the publisher is flushed — an answer of 202 means Kafka has them;
* invalid items are published to ``login.events.dlq`` with the reason (header ``error``,
  ``dlq_kind=intake_item``) *and* reported item by item in the answer; the valid items of the
  same batch are still published. Nothing is lost: the DLQ keeps what was refused, and
  ``brain dlq replay login.events`` re-validates and re-sends it after a producer fix.

An item without ``event_id`` gets a deterministic one from its source system, table, key and
``occurred_at``; a producer should still send its own stable id (e.g. session id + attempt), so
that a retried batch publishes the same ids and downstream processors (idempotent on
``event_id``) do not count a login twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue, TypeAdapter, ValidationError

from bento_service.problems import FieldError
from kernel.events import LoginAttempted, Topic, dlq_topic, make_event_id
from kernel.transport import EventPublisher

__all__ = ["ChannelIntake", "IntakeItem", "IntakeResult"]

log = logging.getLogger(__name__)

_LOGIN = TypeAdapter(LoginAttempted)


class IntakeItem(BaseModel):
    """What happened to one item of a batch."""

    model_config = ConfigDict(frozen=True)

    index: int
    status: Literal["accepted", "rejected"]
    event_id: str | None = None
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class IntakeResult:
    items: tuple[IntakeItem, ...]

    @property
    def accepted(self) -> int:
        return sum(1 for i in self.items if i.status == "accepted")

    @property
    def rejected(self) -> int:
        return len(self.items) - self.accepted


def _with_event_id(item: JsonValue) -> JsonValue:
    if not isinstance(item, dict) or "event_id" in item:
        return item
    parts = [item.get(k) for k in ("source_system", "source_table", "source_key", "occurred_at")]
    if not all(isinstance(p, str) and p for p in parts):
        return item  # the validation reports what is missing
    return {**item, "event_id": make_event_id(*(str(p) for p in parts))}


class ChannelIntake:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    def submit(self, items: Sequence[JsonValue], client: str) -> IntakeResult:
        """Validate every item, publish the valid ones and dead-letter the others, then flush.

        Raises :class:`~kernel.errors.TransportError` (503) when the transport fails: the
        client retries the whole batch (same event ids).
        """
        topic = Topic.LOGIN.value
        results: list[IntakeItem] = []
        for index, raw in enumerate(items):
            item = _with_event_id(raw)
            body = json.dumps(item, separators=(",", ":")).encode()
            try:
                event = _LOGIN.validate_json(body)
            except ValidationError as exc:
                errors = tuple(
                    FieldError(loc=("body", "events", index, *e["loc"]), msg=e["msg"], type=e["type"])
                    for e in exc.errors(include_url=False)
                )
                reason = "; ".join(
                    f"{'.'.join(str(p) for p in e.loc[3:]) or '<item>'}: {e.msg}" for e in errors
                )
                self._publisher.publish(
                    dlq_topic(topic),
                    body,
                    key=None,
                    headers=[
                        ("error", reason.encode()[:4000]),
                        ("dlq_kind", b"intake_item"),
                        ("intake_client", client.encode()),
                    ],
                )
                results.append(IntakeItem(index=index, status="rejected", errors=errors))
                continue
            customer = event.payload.customer_source_key
            self._publisher.publish(
                topic,
                event.model_dump_json().encode(),
                key=f"{event.source_system}:{customer}",
                headers=[("connector", b"intake"), ("intake_client", client.encode())],
            )
            results.append(IntakeItem(index=index, status="accepted", event_id=event.event_id))
        self._publisher.flush()
        result = IntakeResult(tuple(results))
        if result.rejected:
            log.warning("intake from %s: %d rejected of %d", client, result.rejected, len(results))
        return result

"""Topics, the events each carries, and parsing from the wire."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeAlias

from pydantic import Field, TypeAdapter, ValidationError

from kernel.errors import InvalidEvent
from kernel.events._events import (
    AccountChanged,
    CustomerChanged,
    DecisionMade,
    FraudAlertRaised,
    GcidAssigned,
    GcidMerged,
    GcidSplit,
    LoginAttempted,
    RiskScoreUpdated,
    TransactionPosted,
)

__all__ = [
    "INPUT_TOPICS",
    "BrainEvent",
    "CustomerScopedEvent",
    "IdentityEvent",
    "Topic",
    "dlq_topic",
    "event_key",
    "parse_event",
    "source_customer_key",
    "topic_of",
]


class Topic(StrEnum):
    CUSTOMER = "customer.events"
    ACCOUNT = "account.events"
    TRANSACTION = "transaction.events"
    LOGIN = "login.events"
    FRAUD = "fraud.events"
    RISK = "risk.events"
    IDENTITY = "identity.events"
    DECISION = "decision.events"


INPUT_TOPICS: tuple[Topic, ...] = (
    Topic.CUSTOMER,
    Topic.ACCOUNT,
    Topic.TRANSACTION,
    Topic.LOGIN,
    Topic.FRAUD,
    Topic.RISK,
)

IdentityEvent: TypeAlias = Annotated[GcidAssigned | GcidMerged | GcidSplit, Field(discriminator="event_type")]

BrainEvent: TypeAlias = (
    CustomerChanged
    | AccountChanged
    | TransactionPosted
    | LoginAttempted
    | FraudAlertRaised
    | RiskScoreUpdated
    | GcidAssigned
    | GcidMerged
    | GcidSplit
    | DecisionMade
)

#: The input events that belong to one source customer: the customer record itself, or an
#: account, transaction, login, fraud alert or risk score naming its ``customer_source_key``.
CustomerScopedEvent: TypeAlias = (
    CustomerChanged
    | AccountChanged
    | TransactionPosted
    | LoginAttempted
    | FraudAlertRaised
    | RiskScoreUpdated
)

_ADAPTERS: dict[Topic, TypeAdapter[BrainEvent]] = {
    Topic.CUSTOMER: TypeAdapter(CustomerChanged),
    Topic.ACCOUNT: TypeAdapter(AccountChanged),
    Topic.TRANSACTION: TypeAdapter(TransactionPosted),
    Topic.LOGIN: TypeAdapter(LoginAttempted),
    Topic.FRAUD: TypeAdapter(FraudAlertRaised),
    Topic.RISK: TypeAdapter(RiskScoreUpdated),
    Topic.IDENTITY: TypeAdapter(IdentityEvent),
    Topic.DECISION: TypeAdapter(DecisionMade),
}

_TOPIC_OF: dict[type[object], Topic] = {
    CustomerChanged: Topic.CUSTOMER,
    AccountChanged: Topic.ACCOUNT,
    TransactionPosted: Topic.TRANSACTION,
    LoginAttempted: Topic.LOGIN,
    FraudAlertRaised: Topic.FRAUD,
    RiskScoreUpdated: Topic.RISK,
    GcidAssigned: Topic.IDENTITY,
    GcidMerged: Topic.IDENTITY,
    GcidSplit: Topic.IDENTITY,
    DecisionMade: Topic.DECISION,
}


def source_customer_key(event: CustomerScopedEvent) -> str:
    """The source key of the customer ``event`` belongs to (in its ``source_system``)."""
    return event.source_key if isinstance(event, CustomerChanged) else event.payload.customer_source_key


def event_key(event: BrainEvent) -> str:
    """Kafka partition key of an input event: one source customer's events stay ordered."""
    customer = getattr(event.payload, "customer_source_key", None)
    return f"{event.source_system}:{customer or event.source_key}"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def topic_of(event: BrainEvent) -> Topic:
    return _TOPIC_OF[type(event)]


def parse_event(topic: str, data: bytes | str) -> BrainEvent:
    """Validate wire JSON for ``topic``; raises :class:`InvalidEvent` with every error listed."""
    try:
        adapter = _ADAPTERS[Topic(topic)]
    except ValueError:
        raise InvalidEvent(f"unknown topic {topic!r}") from None
    try:
        return adapter.validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidEvent(f"{topic}: {exc.error_count()} error(s): {problems}") from None


def json_schemas() -> dict[str, dict[str, object]]:
    """The JSON Schema of every topic's events, for other teams that produce or consume them."""
    return {topic.value: adapter.json_schema(mode="serialization") for topic, adapter in _ADAPTERS.items()}

"""Event transport: Kafka in the services mode, an in-process bus in the embedded mode."""

from kernel.transport._inprocess import InProcessBus, InProcessConsumer, InProcessPublisher
from kernel.transport._ports import EventConsumer, EventPublisher, Record
from kernel.transport._warnings import silence_kafka_client_deprecations

__all__ = [
    "EventConsumer",
    "EventPublisher",
    "InProcessBus",
    "InProcessConsumer",
    "InProcessPublisher",
    "Record",
    "silence_kafka_client_deprecations",
]

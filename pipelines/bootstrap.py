"""The composition root of the pipeline process: transport, stores and processors from settings.

``bootstrap()`` builds everything for the settings' profile; tests pass their own adapters
(``bootstrap(settings, features=InMemoryFeatureStore())``). ``replay_features()`` composes the
identity and feature processors without threads or transport (training sets, backfills,
notebooks, benchmarks). Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from features import FeatureWriter
from identity import load_settings as load_identity_settings
from kernel.events import BrainEvent, CustomerChanged, Topic, event_key, parse_event, topic_of
from kernel.storage import create_db_engine, migrate
from kernel.transport import EventConsumer, EventPublisher, InProcessBus
from pipelines.dlq import DeadLetters
from pipelines.metrics import EVENTS_PRODUCED
from pipelines.processors import (
    Customer360Handler,
    FeaturesHandler,
    Handler,
    IdentityHandler,
    ProcessorRunner,
)
from pipelines.settings import PipelineSettings, get_pipeline_settings

__all__ = ["Pipeline", "bootstrap", "replay_features"]

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    settings: PipelineSettings
    engine: Engine
    publisher: EventPublisher
    runners: list[ProcessorRunner]
    bus: InProcessBus | None
    features: FeatureWriter
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def publish(self, events: Sequence[BrainEvent]) -> None:
        for event in events:
            topic = topic_of(event).value
            self.publisher.publish(topic, event.model_dump_json().encode(), key=event_key(event))
            EVENTS_PRODUCED.labels(topic).inc()
        self.publisher.flush()

    def start(self) -> None:
        for runner in self.runners:
            thread = threading.Thread(
                target=runner.run, args=(self._stop,), name=f"processor-{runner.handler.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
        self.publisher.close()
        self.engine.dispose()

    def handled(self) -> int:
        return sum(r.handled for r in self.runners)

    def wait_idle(self, quiet_s: float = 1.0, timeout_s: float = 60.0) -> bool:
        """Wait until every processor is caught up and none took a record for ``quiet_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        last, last_change = self.handled(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.handled()
            if now != last or not all(r.caught_up for r in self.runners):
                last, last_change = now, time.monotonic()
            elif time.monotonic() - last_change >= quiet_s:
                return True
        return False


def _feature_store(settings: PipelineSettings) -> FeatureWriter:
    from features.feast_store import FeastFeatureStore  # Feast import is slow: only when used

    store = FeastFeatureStore(settings)
    store.apply()
    return store


def bootstrap(
    settings: PipelineSettings | None = None,
    *,
    features: FeatureWriter | None = None,
    bus: InProcessBus | None = None,
    engine: Engine | None = None,
) -> Pipeline:
    settings = settings or get_pipeline_settings()
    engine = engine or create_db_engine(settings.db_url, pre_ping=False)  # processors retry
    migrate(engine)
    writer = features or _feature_store(settings)

    if settings.embedded:
        bus = bus or InProcessBus()
        publisher: EventPublisher = bus.publisher()
    else:
        from kernel.transport._kafka import KafkaEventPublisher

        publisher = KafkaEventPublisher(
            settings.kafka_bootstrap, settings.kafka_client_id, settings.topic_prefix
        )

    def consumer(handler: Handler) -> EventConsumer:
        group = f"{settings.consumer_group_prefix}.{handler.name}"
        if bus is not None:
            return bus.consumer(group, handler.topics)
        from kernel.transport._kafka import KafkaEventConsumer

        client = f"{settings.kafka_client_id}-{handler.name}"
        return KafkaEventConsumer(
            settings.kafka_bootstrap, client, group, handler.topics, settings.topic_prefix
        )

    features_handler = FeaturesHandler(engine, writer)
    warmed = features_handler.warm()
    handlers: list[Handler] = [
        IdentityHandler(engine, publisher, load_identity_settings(settings.identity_settings_path)),
        Customer360Handler(engine, batched=True),
        features_handler,
    ]
    dead_letters = DeadLetters(engine)  # a bad record reaches its DLQ once, not once per group
    runners = [
        ProcessorRunner(
            h, consumer(h), publisher, poll_timeout_ms=settings.poll_timeout_ms, dead_letters=dead_letters
        )
        for h in handlers
    ]
    log.info(
        "pipeline bootstrapped: profile=%s, %d transactions warmed into windows",
        settings.profile.value,
        warmed,
    )
    return Pipeline(settings, engine, publisher, runners, bus, writer)


def replay_features(
    events: Sequence[BrainEvent], engine: Engine, writer: FeatureWriter, *, batch_size: int = 2000
) -> FeaturesHandler:
    """Run ``events`` (in event-time order) through identity resolution and the feature processor,
    synchronously, pushing micro-batches of ``batch_size`` events: the streaming path without
    threads or transport, for backfills, training sets, notebooks and benchmarks."""
    bus = InProcessBus()
    identity = IdentityHandler(engine, bus.publisher())
    features = FeaturesHandler(engine, writer)
    seen = 0
    for i, event in enumerate(sorted(events, key=lambda e: e.occurred_at), start=1):
        if isinstance(event, CustomerChanged):
            identity.handle(event)
        features.handle(event)
        records = bus.records(Topic.IDENTITY.value)
        for record in records[seen:]:
            features.handle(parse_event(Topic.IDENTITY.value, record.value))
        seen = len(records)
        if i % batch_size == 0:
            features.flush()
    features.flush()
    return features

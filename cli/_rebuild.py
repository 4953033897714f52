"""``brain rebuild customer360`` and ``brain rebuild worker``: replay/recompute the Customer 360.

``worker`` runs the Customer 360 processor alone (services mode: its Kafka consumer group), the
process the kill -9 test kills and restarts.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from typing import Annotated

import typer

__all__ = ["app", "customer360", "worker"]

log = logging.getLogger(__name__)

app = typer.Typer(help="Rebuild projections from the event log.", no_args_is_help=True)


@app.command("customer360")
def customer360(
    group: Annotated[
        str | None, typer.Option(help="Consumer group of the replay (default: a fresh, timestamped one)")
    ] = None,
    timeout_s: Annotated[float, typer.Option(min=1, help="Give up after this many seconds")] = 3600.0,
) -> None:
    """Empty the Customer 360 tables and replay its topics from the beginning (services mode), or
    recompute the derived rows from the stored ones (embedded mode: the in-process log is gone).
    Stop the live Customer 360 processor first."""
    from kernel.storage import create_db_engine, migrate
    from pipelines.processors import Customer360Handler
    from pipelines.processors.customer360_rebuild import (
        kafka_caught_up,
        recompute_customer360,
        replay_customer360,
    )
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    engine = create_db_engine(settings.db_url, pre_ping=False)
    migrate(engine)
    try:
        if settings.embedded:
            report = recompute_customer360(engine)
            typer.echo(
                f"recomputed {report.gcids} GCIDs in {report.seconds:.1f} s (embedded: no log to replay)"
            )
            return
        from kernel.transport._kafka import KafkaEventConsumer, KafkaEventPublisher

        group = group or f"{settings.consumer_group_prefix}.customer360.rebuild-{int(time.time())}"
        topics = Customer360Handler.topics
        caught_up = kafka_caught_up(settings.kafka_bootstrap, group, topics, settings.topic_prefix)
        consumer = KafkaEventConsumer(
            settings.kafka_bootstrap,
            f"{settings.kafka_client_id}-rebuild",
            group,
            topics,
            settings.topic_prefix,
        )
        dlq = KafkaEventPublisher(
            settings.kafka_bootstrap, f"{settings.kafka_client_id}-rebuild", settings.topic_prefix
        )
        try:
            report = replay_customer360(engine, consumer, dlq, caught_up, timeout_s)
        finally:
            dlq.close()
        typer.echo(
            f"replayed {report.events} events into {report.gcids} GCIDs"
            f" in {report.seconds:.1f} s (group {group})"
        )
    finally:
        engine.dispose()


@app.command("worker")
def worker() -> None:
    """Run the Customer 360 processor alone until SIGINT/SIGTERM (services mode)."""
    from kernel.storage import create_db_engine, migrate
    from pipelines.dlq import DeadLetters
    from pipelines.processors import Customer360Handler, ProcessorRunner
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    if settings.embedded:
        typer.echo("the worker consumes Kafka: set EB_PROFILE=services", err=True)
        raise typer.Exit(2)
    from kernel.transport._kafka import KafkaEventConsumer, KafkaEventPublisher

    engine = create_db_engine(settings.db_url, pre_ping=False)
    migrate(engine)
    handler = Customer360Handler(engine, batched=True)
    consumer = KafkaEventConsumer(
        settings.kafka_bootstrap,
        f"{settings.kafka_client_id}-customer360",
        f"{settings.consumer_group_prefix}.{handler.name}",
        handler.topics,
        settings.topic_prefix,
    )
    dlq = KafkaEventPublisher(
        settings.kafka_bootstrap, f"{settings.kafka_client_id}-c360-dlq", settings.topic_prefix
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner = ProcessorRunner(
        handler, consumer, dlq, poll_timeout_ms=settings.poll_timeout_ms, dead_letters=DeadLetters(engine)
    )
    # the start-up heap (modules, schemas, mappers) is permanent: out of the collector's reach,
    # full collections stop re-scanning it (they paused the worker 75-200 ms at 5,000 events/s)
    gc.collect()
    gc.freeze()
    log.info("customer360 worker consuming %s", ", ".join(handler.topics))
    runner.run(stop)
    dlq.close()
    engine.dispose()

"""``brain connectors run|status|simulate`` and ``brain dlq replay``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import PipelineSettings, get_pipeline_settings
from pipelines.storage import create_db_engine, migrate
from pipelines.transport import EventPublisher

__all__ = ["app", "dlq_app"]

app = typer.Typer(help="Source connectors: capture the bank's databases into the input topics.")
dlq_app = typer.Typer(help="Dead-letter topics.")

Systems = Annotated[list[str] | None, typer.Argument(help="v5, dfs, crm (default: all)")]


def _publisher(settings: PipelineSettings) -> EventPublisher:
    if settings.embedded:
        raise typer.BadParameter("connectors publish to Kafka: set EB_PROFILE=services")
    from pipelines.transport._kafka import KafkaEventPublisher

    return KafkaEventPublisher(
        settings.kafka_bootstrap, f"{settings.kafka_client_id}-connectors", settings.topic_prefix
    )


@app.command("run")
def run(
    systems: Systems = None,
    once: Annotated[bool, typer.Option(help="Drain what is there and exit")] = False,
) -> None:
    """Run connectors (one thread each) until stopped, or once with --once."""
    from pipelines.connectors import SYSTEMS, build_connector

    settings = get_pipeline_settings()
    engine = create_db_engine(settings.db_url)
    migrate(engine)
    publisher = _publisher(settings)
    connectors = [build_connector(s, settings, engine, publisher) for s in (systems or list(SYSTEMS))]
    if once:
        for c in connectors:
            typer.echo(f"{c.name}: {c.drain()} rows")
        publisher.close()
        return
    from pipelines.cli._run import _stop_event

    stop = _stop_event()
    threads = [threading.Thread(target=c.run, args=(stop,), name=f"connector-{c.name}") for c in connectors]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(10)
    publisher.close()


@app.command("status")
def status() -> None:
    """Per connector: mode, position, lag, rows read, events produced, errors, last success."""
    from pipelines.connectors import ConnectorStore

    settings = get_pipeline_settings()
    engine = create_db_engine(settings.db_url)
    migrate(engine)
    states = ConnectorStore(engine).states()
    if not states:
        typer.echo("no connector has committed a position yet")
        return
    typer.echo(
        f"{'connector':<12} {'mode':<15} {'rows':>9} {'events':>9} {'errors':>7} {'lag_s':>7}  last success / position"  # noqa: E501
    )
    for s in states:
        lag = f"{s.lag_s:.2f}" if s.lag_s is not None else "-"
        last = s.last_success_at.isoformat(timespec="seconds") if s.last_success_at else "never"
        typer.echo(
            f"{s.connector:<12} {s.mode:<15} {s.rows_read:>9} {s.events_produced:>9} {s.errors:>7} {lag:>7}  "
            f"{last} @ {(s.position or '-')[:60]}"
        )
        if s.last_error:
            typer.echo(f"{'':<12} last error: {s.last_error[:200]}")


@app.command("simulate")
def simulate(
    customers: Annotated[int, typer.Option(min=1, help="People in the bank")] = 1000,
    transactions: Annotated[int, typer.Option(min=0, help="Transactions to write afterwards")] = 5000,
    rate: Annotated[
        float, typer.Option(min=0, help="Target transactions per second (0: as fast as possible)")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
    drop: Annotated[bool, typer.Option(help="Drop and recreate the source databases first")] = False,
    truth: Annotated[Path | None, typer.Option(help="Ground-truth CSV (default: run dir)")] = None,
) -> None:
    """Create the source databases (v5, CRM on PostgreSQL; DFS on MariaDB) and write a bank into them."""
    from pipelines.connectors import source_url
    from pipelines.simulator._sources import SourceBank, SourceUrls, create_sources

    settings = get_pipeline_settings()
    urls = SourceUrls(
        v5=source_url("v5", settings), crm=source_url("crm", settings), dfs=source_url("dfs", settings)
    )
    create_sources(urls, drop=drop)
    bank = SourceBank(urls, seed)
    with typer.progressbar(length=customers, label="customers") as bar:
        bank.populate(customers, progress=bar.update)
    with typer.progressbar(length=transactions, label="transactions") as bar:
        bank.transactions(transactions, rate or None, progress=bar.update)
    path = truth or settings.run_dir / "sources" / "ground_truth.csv"
    bank.write_ground_truth(path)
    typer.echo(f"{len(bank.truth)} source customer records; ground truth in {path}")


@dlq_app.command("replay")
def replay(
    topic: Annotated[str, typer.Argument(help="Input topic whose .dlq to replay, e.g. customer.events")],
    group: Annotated[str, typer.Option(help="Consumer group of this replay")] = "brain.dlq-replay",
) -> None:
    """Re-send the records of <topic>.dlq after a fix (mapping or producer)."""
    from pipelines.connectors import card_key
    from pipelines.connectors._replay import replay_dlq
    from pipelines.events import dlq_topic
    from pipelines.transport._kafka import KafkaEventConsumer

    settings = get_pipeline_settings()
    publisher = _publisher(settings)
    consumer = KafkaEventConsumer(
        settings.kafka_bootstrap,
        f"{settings.kafka_client_id}-dlq",
        f"{group}.{topic}",
        [dlq_topic(topic)],
        settings.topic_prefix,
    )
    result = replay_dlq(topic, consumer, publisher, card_key(settings))
    consumer.close()
    publisher.close()
    typer.echo(f"read {result.read}, replayed {result.replayed}, still failing {result.still_failing}")

"""``brain connectors run|status|simulate`` and ``brain dlq replay``."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kernel.transport import EventConsumer, EventPublisher
    from pipelines.connectors import Connector
    from pipelines.dlq import ReplayLedger
    from pipelines.settings import PipelineSettings

__all__ = ["app", "dlq_app"]

app = typer.Typer(help="Source connectors: capture the bank's databases into the input topics.")
dlq_app = typer.Typer(help="Dead-letter topics.")

Systems = Annotated[
    list[str] | None,
    typer.Argument(
        help="v5, dfs, crm, v1_core, v1_core_ef, openbanking, global, salama, wekezabank, identity_intel "
        "(default: all)"
    ),
]


def _publisher(settings: PipelineSettings) -> EventPublisher:
    if settings.embedded:
        raise typer.BadParameter("connectors publish to Kafka: set EB_PROFILE=services")
    from kernel.transport._kafka import KafkaEventPublisher

    return KafkaEventPublisher(
        settings.kafka_bootstrap, f"{settings.kafka_client_id}-connectors", settings.topic_prefix
    )


@app.command("run")
def run(
    systems: Systems = None,
    once: Annotated[bool, typer.Option(help="Drain what is there and exit")] = False,
    snapshot: Annotated[
        str | None,
        typer.Option(
            help="CDC connectors' first start: 'initial' reads the rows already in the tables, then "
            "streams; 'never' streams changes only (default: EB_CONNECTOR_SNAPSHOT, initial)"
        ),
    ] = None,
) -> None:
    """Run connectors (one thread each) until stopped, or once with --once."""
    from kernel.storage import create_db_engine, migrate
    from pipelines.connectors import SYSTEMS, build_connector
    from pipelines.settings import get_pipeline_settings

    if snapshot not in (None, "initial", "never"):
        raise typer.BadParameter("--snapshot is 'initial' or 'never'")
    settings = get_pipeline_settings()
    if snapshot is not None:
        settings = settings.model_copy(update={"connector_snapshot": snapshot})
    engine = create_db_engine(settings.db_url)
    migrate(engine)
    publisher = _publisher(settings)
    connectors = [build_connector(s, settings, engine, publisher) for s in (systems or list(SYSTEMS))]
    if once:
        for c in connectors:
            typer.echo(f"{c.name}: {c.drain()} rows")
        publisher.close()
        return
    from cli._run import _stop_event

    stop = _stop_event()
    threads = [
        threading.Thread(target=_loop(c, settings, engine), args=(stop,), name=f"connector-{c.name}")
        for c in connectors
    ]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(10)
    publisher.close()


def _loop(
    connector: Connector, settings: PipelineSettings, engine: Engine
) -> Callable[[threading.Event], None]:
    """A connector's thread: polling sources reconcile every ``connector_reconcile_interval_s``."""
    from pipelines.connectors import ConnectorStore, PollingSource
    from pipelines.connectors._reconcile import run_with_reconciliation

    interval = settings.connector_reconcile_interval_s
    if not isinstance(connector.source, PollingSource) or interval <= 0:
        return connector.run
    store, ranges = ConnectorStore(engine), settings.connector_reconcile_ranges
    return lambda stop: run_with_reconciliation(connector, store, stop, interval, ranges)


@app.command("reconcile")
def reconcile_cmd(
    system: Annotated[
        list[str] | None, typer.Option("--system", help="Polled system(s) to reconcile (default: all)")
    ] = None,
) -> None:
    """Compare polled source tables with what was captured (counts, checksums per key range); re-emit
    the rows polling missed (edits that did not move the watermark, deletes)."""
    from kernel.storage import create_db_engine, migrate
    from pipelines.connectors import SYSTEMS, ConnectorStore, build_connector, reconcile
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    engine = create_db_engine(settings.db_url)
    migrate(engine)
    names = system or [s for s, spec in SYSTEMS.items() if spec.mode == "watermark_poll"]
    publisher = _publisher(settings)
    try:
        for name in names:
            connector = build_connector(name, settings, engine, publisher)
            report = reconcile(connector, ConnectorStore(engine), settings.connector_reconcile_ranges)
            connector.source.close()
            for t in report.tables:
                typer.echo(
                    f"{name}.{t.table}: {t.source_rows} source rows, {t.captured_rows} captured, "
                    f"{t.mismatched_ranges}/{t.ranges} ranges differ, {t.changed} changed, "
                    f"{t.deleted} deleted, {t.reemitted} events re-emitted, {t.errors} to the DLQ"
                )
    finally:
        publisher.close()


@app.command("status")
def status() -> None:
    """Per connector: mode, position, lag, rows read, events produced, errors, last success."""
    from kernel.storage import create_db_engine, migrate
    from pipelines.connectors import ConnectorStore
    from pipelines.settings import get_pipeline_settings

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
            f"{last} @ {'(last run below)' if s.mode == 'reconcile' else (s.position or '-')[:60]}"
        )
        if s.last_error:
            typer.echo(f"{'':<12} last error: {s.last_error[:200]}")
        if s.mode == "reconcile" and s.position:
            for t in json.loads(s.position)["tables"]:
                typer.echo(
                    f"{'':<12} {t['table']}: {t['mismatched_ranges']}/{t['ranges']} ranges differed, "
                    f"{t['changed']} changed + {t['deleted']} deleted re-emitted "
                    f"({t['source_rows']} source rows)"
                )


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
    fraud_share: Annotated[
        float,
        typer.Option(min=0, max=1, help="Share of people in a fraud pattern (takeover, mule, card testing)"),
    ] = 0.02,
) -> None:
    """Create every source database (PostgreSQL; DFS on MariaDB) and write a living bank into them."""
    from pipelines.connectors import source_url
    from pipelines.settings import get_pipeline_settings
    from pipelines.simulator._sources import SourceBank, SourceUrls, create_sources
    from pipelines.simulator._sources_feeds import FeedUrls

    settings = get_pipeline_settings()
    feeds = FeedUrls(
        **{f: source_url("global" if f == "wgi" else f, settings) for f in FeedUrls.__dataclass_fields__}
    )
    urls = SourceUrls(
        v5=source_url("v5", settings),
        crm=source_url("crm", settings),
        dfs=source_url("dfs", settings),
        feeds=feeds,
    )
    create_sources(urls, drop=drop)
    bank = SourceBank(urls, seed)
    with typer.progressbar(length=customers, label="customers") as bar:
        bank.populate(customers, progress=bar.update, fraud_share=fraud_share)
    with typer.progressbar(length=transactions, label="transactions") as bar:
        bank.transactions(transactions, rate or None, progress=bar.update)
    path = truth or settings.run_dir / "sources" / "ground_truth.csv"
    bank.write_ground_truth(path)
    typer.echo(
        f"{len(bank.truth)} source customer records; ground truth in {path}; "
        f"{len(bank.fraud_truth)} fraudulent records in {path.with_name('fraud_truth.csv')}"
    )


def _dlq_reader(settings: PipelineSettings, topic: str, purpose: str) -> EventConsumer:
    """A consumer of ``<topic>.dlq`` in a group of its own: it reads the DLQ from its beginning."""
    import uuid

    from kernel.events import dlq_topic
    from kernel.transport._kafka import KafkaEventConsumer

    return KafkaEventConsumer(
        settings.kafka_bootstrap,
        f"{settings.kafka_client_id}-dlq",
        f"{settings.consumer_group_prefix}.dlq-{purpose}.{uuid.uuid4().hex[:8]}",
        [dlq_topic(topic)],
        settings.topic_prefix,
    )


def _replay_ledger(settings: PipelineSettings) -> ReplayLedger:
    from kernel.storage import create_db_engine, migrate
    from pipelines.dlq import ReplayLedger

    engine = create_db_engine(settings.db_url)
    migrate(engine)
    return ReplayLedger(engine)


@dlq_app.command("show")
def show(
    topic: Annotated[str, typer.Argument(help="Input topic whose .dlq to list, e.g. customer.events")],
    limit: Annotated[int, typer.Option(min=1, help="List at most this many records (the oldest)")] = 50,
) -> None:
    """List the records on <topic>.dlq: where each came from, who rejected it, why, and whether a
    replay re-sent it (services mode: the DLQ topics are Kafka's)."""
    from kernel.events import dlq_topic
    from pipelines.connectors._replay import dlq_entries
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    if settings.embedded:
        raise typer.BadParameter(
            "the DLQ topics are Kafka's: set EB_PROFILE=services", param_hint="EB_PROFILE"
        )
    consumer = _dlq_reader(settings, topic, "show")
    try:
        entries = dlq_entries(topic, consumer, _replay_ledger(settings))
    finally:
        consumer.close()
    dlq = dlq_topic(topic)
    if not entries:
        typer.echo(f"{dlq} is empty")
        return
    pending = sum(not e.replayed for e in entries)
    typer.echo(f"{dlq}: {len(entries)} records, {pending} not replayed")
    for e in entries[:limit]:
        state = "replayed" if e.replayed else "pending"
        typer.echo(f"  [{e.partition}]@{e.offset}  {state:<8}  {e.source}  by {e.rejected_by}: {e.error}")
    if len(entries) > limit:
        typer.echo(f"  ... and {len(entries) - limit} more (--limit)")


@dlq_app.command("replay")
def replay(
    topic: Annotated[str, typer.Argument(help="Input topic whose .dlq to replay, e.g. customer.events")],
    mappings: Annotated[
        Path | None,
        typer.Option(help="Folder of fixed mappings (<system>/<table>.yaml); default: the installed ones"),
    ] = None,
) -> None:
    """Re-send the records of <topic>.dlq after a fix (mapping or producer).

    Reads the whole DLQ every time and skips what an earlier replay re-sent: records that still
    fail stay and are tried again by the next replay."""
    from kernel.events import dlq_topic
    from pipelines.connectors import card_key
    from pipelines.connectors._replay import replay_dlq
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    if settings.embedded:
        raise typer.BadParameter(
            "the DLQ topics are Kafka's: set EB_PROFILE=services", param_hint="EB_PROFILE"
        )
    publisher = _publisher(settings)
    consumer = _dlq_reader(settings, topic, "replay")
    try:
        result = replay_dlq(
            topic,
            consumer,
            publisher,
            card_key(settings),
            mappings_root=mappings,
            ledger=_replay_ledger(settings),
        )
    finally:
        consumer.close()
        publisher.close()
    typer.echo(result.summary(dlq_topic(topic)))

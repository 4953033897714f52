"""Helpers of the Customer 360 tests on real Kafka + PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from customer360 import projection_snapshot
from kernel.events import BrainEvent, event_key, topic_of
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import processed_event
from kernel.transport._kafka import KafkaEventPublisher
from pipelines.processors import Customer360Handler
from tests.services import KAFKA, ROOT, postgres_database
from tests.unit.customer360.c360_world import write_graph

Snapshot = dict[str, list[tuple[Any, ...]]]

__all__ = [
    "apply_clean",
    "clean_run_snapshot",
    "processed",
    "publish",
    "services_env",
    "start_worker",
    "wait_processed",
]


def publish(prefix: str, events: Sequence[BrainEvent]) -> None:
    publisher = KafkaEventPublisher(KAFKA, "c360-tests", prefix)
    for e in events:
        publisher.publish(topic_of(e).value, e.model_dump_json().encode(), key=event_key(e))
    publisher.flush()
    publisher.close()


def services_env(url: str, prefix: str, run_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "EB_PROFILE": "services",
            "EB_DATABASE_URL": url,
            "EB_TOPIC_PREFIX": prefix,
            "EB_RUN_DIR": str(run_dir),
            "EB_METRICS_PORT": "0",
            "EB_KAFKA_BOOTSTRAP": KAFKA,
        }
    )
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "rebuild", "worker"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def processed(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(processed_event)
                .where(processed_event.c.consumer == "customer360")
            ).scalar_one()
        )


def wait_processed(engine: Engine, at_least: int, timeout_s: float, worker: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        n = processed(engine)
        if n >= at_least:
            return n
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited with {worker.returncode}")
        time.sleep(0.2)
    raise AssertionError(f"only {processed(engine)} of {at_least} events processed in {timeout_s} s")


def apply_clean(engine: Engine, events: Sequence[BrainEvent], batch: int = 500) -> None:
    """The reference: the same handler in this process, no Kafka, no crash."""
    handler = Customer360Handler(engine, batched=True)
    for i in range(0, len(events), batch):
        for e in events[i : i + batch]:
            handler.handle(e)
        handler.flush()


def clean_run_snapshot(graph: dict[str, list[tuple[str, str]]], events: Sequence[BrainEvent]) -> Snapshot:
    """The projection tables after :func:`apply_clean` of ``events`` on a fresh database holding
    ``graph``: what a run with crashes, restarts or several workers must equal."""
    with postgres_database() as url:
        engine = create_db_engine(url)
        migrate(engine)
        write_graph(engine, graph)
        apply_clean(engine, events)
        with engine.connect() as conn:
            snapshot = projection_snapshot(conn)
        engine.dispose()
    return snapshot

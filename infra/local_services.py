"""The services ``infra/up.sh`` starts, their scratch resources, and Customer 360 worker processes.

Shared by the tests and the benches (deployables read their addresses from their settings):

* addresses: :data:`KAFKA`, :data:`PG_ADMIN`, :data:`REDIS`, :data:`MARIADB`;
* scratch resources, each with a unique name so runs never see each other's data:
  :func:`kafka_topics` (every topic of ``infra/topics.txt`` under a fresh prefix),
  :func:`postgres_database` and :func:`mariadb_database` (dropped afterwards), and
  :func:`kept_database` (kept, so benches can reuse their loads);
* Customer 360 workers: :func:`publish` events onto a prefix's topics, :func:`services_env` and
  :func:`start_worker` (``brain rebuild worker`` in a subprocess), then :func:`processed` and
  :func:`wait_processed` to follow it; :func:`apply_clean` is the reference run they are compared
  with (the same handler in this process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pymysql
from kafka.admin import KafkaAdminClient, NewTopic
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.exc import DBAPIError

from infra.kafka_topics import read_topics
from kernel.events import BrainEvent, event_key, topic_of
from kernel.storage.schema import processed_event
from kernel.transport._kafka import KafkaEventPublisher
from pipelines.processors import Customer360Handler

__all__ = [
    "KAFKA",
    "MARIADB",
    "PG_ADMIN",
    "REDIS",
    "ROOT",
    "apply_clean",
    "drop_database",
    "kafka_topics",
    "kept_database",
    "mariadb_database",
    "postgres_database",
    "processed",
    "publish",
    "services_env",
    "start_worker",
    "topic_plan",
    "wait_processed",
]

#: The project's root (workers run from it).
ROOT = Path(__file__).resolve().parents[1]
KAFKA = "127.0.0.1:9092"
_PG_SERVER = "postgresql+psycopg://brain:brain@127.0.0.1:5432"
PG_ADMIN = f"{_PG_SERVER}/postgres"
REDIS = "redis://127.0.0.1:6379/0"
#: The MariaDB server, without a database (append ``/<name>``).
MARIADB = "mysql+pymysql://brain:brain@127.0.0.1:3306"


def topic_plan() -> list[tuple[str, int]]:
    """``(name, partitions)`` of the topics ``infra/up.sh`` creates, from the one list both read."""
    return [(spec.name, spec.partitions) for spec in read_topics()]


@contextmanager
def kafka_topics() -> Iterator[str]:
    """Create every topic under a fresh prefix; yields the prefix; deletes them afterwards."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    plan = topic_plan()
    admin = KafkaAdminClient(bootstrap_servers=KAFKA, client_id="brain-tests")
    admin.create_topics([NewTopic(prefix + name, partitions, 1) for name, partitions in plan])
    try:
        yield prefix
    finally:
        admin.delete_topics([prefix + name for name, _ in plan])
        admin.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database owned by ``brain``; yields its SQLAlchemy URL; drops it afterwards."""
    name = f"brain_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{_PG_SERVER}/{name}"
    finally:
        try:
            drop_database(admin, name)
        finally:
            admin.dispose()


def drop_database(admin: Engine, name: str, attempts: int = 20) -> None:
    """Drop ``name``; retried because FORCE cannot terminate another role's backend (an
    autovacuum worker) and ``brain`` is not a superuser: the worker leaves within seconds."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
        admin.dispose()


def kept_database(name: str, *, fresh: bool) -> tuple[str, bool]:
    """The URL of PostgreSQL database ``name``, created if missing (dropped and re-created with
    ``fresh``), and whether it was created. Kept after the run: benches reuse their loads."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{_PG_SERVER}/{name}", not exists


@contextmanager
def mariadb_database(prefix: str, ddl: str = "") -> Iterator[str]:
    """A fresh MariaDB database (the server's default collation) with ``ddl`` (statements separated
    by ``;``) run in it; yields its name; drops it afterwards.

    Raises RuntimeError when MariaDB is not up (``infra/up.sh`` starts it only when asked).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    server = make_url(MARIADB)
    try:
        conn = pymysql.connect(
            host=server.host,
            port=server.port or 3306,
            user=server.username,
            password=server.password or "",
            autocommit=True,
        )
    except pymysql.MySQLError as exc:
        raise RuntimeError(
            f"MariaDB is not up on {server.host}:{server.port} (run infra/up.sh mariadb): {exc}"
        ) from exc
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
            cur.execute(f"USE {name}")
            for stmt in ddl.split(";"):
                if stmt.strip():
                    cur.execute(stmt)
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


def publish(prefix: str, events: Sequence[BrainEvent]) -> None:
    """Publish ``events`` in order onto their topics under ``prefix``, keyed as the connectors do."""
    publisher = KafkaEventPublisher(KAFKA, "c360-tests", prefix)
    for e in events:
        publisher.publish(topic_of(e).value, e.model_dump_json().encode(), key=event_key(e))
    publisher.flush()
    publisher.close()


def services_env(url: str, prefix: str, run_dir: Path) -> dict[str, str]:
    """This process's environment plus the settings of a services-mode worker on database ``url``
    and the topics under ``prefix``."""
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
    """A Customer 360 worker (``brain rebuild worker``) in a subprocess, its output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "rebuild", "worker"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def processed(engine: Engine) -> int:
    """How many events the Customer 360 consumer has processed."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(processed_event)
                .where(processed_event.c.consumer == "customer360")
            ).scalar_one()
        )


def wait_processed(engine: Engine, at_least: int, timeout_s: float, worker: subprocess.Popen[bytes]) -> int:
    """Wait until :func:`processed` reaches ``at_least`` and return it; AssertionError when
    ``worker`` exits first or ``timeout_s`` passes."""
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

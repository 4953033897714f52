"""Helpers for tests that talk to the real services started by ``infra/up.sh``.

Each test gets its own PostgreSQL database and its own Kafka topics (a unique prefix), so runs
never see each other's data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymysql
import pytest
from kafka.admin import KafkaAdminClient, NewTopic
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

ROOT = Path(__file__).resolve().parents[1]
KAFKA = "127.0.0.1:9092"
PG_ADMIN = "postgresql+psycopg://brain:brain@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"


def topic_plan() -> list[tuple[str, int]]:
    """The topics ``infra/up.sh`` creates, from the one list both read."""
    plan = []
    for line in (ROOT / "infra" / "topics.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, partitions = line.split()
            plan.append((name, int(partitions)))
    return plan


@contextmanager
def kafka_topics() -> Iterator[str]:
    """Create every topic under a fresh prefix; yields the prefix; deletes them afterwards."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    admin = KafkaAdminClient(bootstrap_servers=KAFKA, client_id="brain-tests")
    names = [prefix + name for name, _ in topic_plan()]
    admin.create_topics([NewTopic(prefix + n, p, 1) for n, p in topic_plan()])
    try:
        yield prefix
    finally:
        admin.delete_topics(names)
        admin.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database owned by ``brain``; yields its SQLAlchemy URL; drops it afterwards."""
    name = f"brain_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://brain:brain@127.0.0.1:5432/{name}"
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
    return f"postgresql+psycopg://brain:brain@127.0.0.1:5432/{name}", not exists


@contextmanager
def mariadb_database(prefix: str, ddl: str = "") -> Iterator[str]:
    """A fresh MariaDB database (the server's default collation) with ``ddl`` (statements separated
    by ``;``) run in it; yields its name; drops it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        conn = pymysql.connect(host="127.0.0.1", user="brain", password="brain", autocommit=True)
    except pymysql.MySQLError as exc:
        pytest.fail(f"MariaDB is not up on 127.0.0.1:3306 (run infra/up.sh mariadb): {exc}")
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

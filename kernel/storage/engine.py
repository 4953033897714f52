"""Database engines from a URL, and schema migration to head."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

__all__ = ["create_db_engine", "migrate", "reader_engine", "run_read"]

T = TypeVar("T")

_MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_db_engine(url: str, *, plan_per_execution: bool = True, pre_ping: bool = True) -> Engine:
    """An engine with bounded pools and, for SQLite, WAL so API readers never block the writers.

    ``plan_per_execution`` (PostgreSQL): ``plan_cache_mode=force_custom_plan``. The processors'
    batch statements are prepared by the driver, and after five executions PostgreSQL may switch a
    prepared statement to a generic plan chosen while the table was small and not yet analysed
    (a nested loop re-scanning ``transaction_360`` for each of 500 keys): the Customer 360 worker
    fell from ~7,000 to ~250 events/s as its tables grew. A custom plan costs a little planning
    per execution, which a batch pays once. The API's single-row reads keep the plan cache
    (``plan_per_execution=False``).

    ``pre_ping``: test a pooled connection (a round trip) before lending it. A processor passes
    ``False``: its loop retries a failed batch from the last commit anyway, so a connection the
    server dropped costs one retry, and the ping cost a round trip per batch."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = {"options": "-c plan_cache_mode=force_custom_plan"} if plan_per_execution else {}
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=pre_ping, pool_timeout=5, connect_args=options
    )


def reader_engine(engine: Engine) -> Engine:
    """An engine for single-statement reads beside ``engine`` (PostgreSQL: its own pool).

    Autocommit, so a read is one round trip instead of four (no ``BEGIN``, no ``ROLLBACK`` when the
    connection returns to the pool, no pre-ping ``SELECT 1``): a connection the server dropped is
    detected on use instead, and :func:`run_read` retries once on a fresh one. SQLite: ``engine``
    itself (an in-memory database has a single connection; a file one reads without round trips).
    """
    if engine.dialect.name == "sqlite":
        return engine
    return create_engine(
        engine.url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=False,
        pool_timeout=5,
        isolation_level="AUTOCOMMIT",
    )


def run_read(engine: Engine, read: Callable[[Connection], T]) -> T:
    """``read`` on a pooled connection of ``engine``; once more if the connection proved dropped
    (a server restart: SQLAlchemy then invalidates the pool, so the retry gets a new connection)."""
    try:
        with engine.connect() as conn:
            return read(conn)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    with engine.connect() as conn:
        return read(conn)


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

"""Engines on PostgreSQL: the processors plan each execution with its parameters; the API's
autocommit reader makes a read one round trip, and a dropped connection costs a retry, not an
error."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from infra.local_services import PG_ADMIN
from kernel.storage import create_db_engine, reader_engine, run_read

pytestmark = pytest.mark.integration


def _backend_pid(conn) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    admin.dispose()


_STATEMENT_IS_THE_TRANSACTION = text(
    "SELECT xact_start = query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
)


def test_a_read_is_one_statement_outside_an_explicit_transaction(pg_engine) -> None:
    """The reader sends no BEGIN (the statement is its own transaction); the default engine does."""
    reader = reader_engine(pg_engine)
    try:
        assert run_read(reader, lambda conn: conn.execute(_STATEMENT_IS_THE_TRANSACTION).scalar_one())
        with pg_engine.connect() as conn:
            assert not conn.execute(_STATEMENT_IS_THE_TRANSACTION).scalar_one()
    finally:
        reader.dispose()


def test_a_connection_dropped_by_the_server_is_replaced_on_the_next_read(pg_engine) -> None:
    reader = reader_engine(pg_engine)
    try:
        pid = run_read(reader, _backend_pid)
        _terminate(pid)  # the pooled connection is now dead (a server restart, a proxy timeout)
        with pytest.raises(OperationalError), reader.connect() as conn:  # no pre-ping: found on use
            conn.execute(text("SELECT 1"))
        pid2 = run_read(reader, _backend_pid)
        _terminate(pid2)
        assert run_read(reader, _backend_pid) not in (pid, pid2)  # retried once on a fresh connection
    finally:
        reader.dispose()


def test_errors_that_are_not_disconnects_are_not_retried(pg_engine) -> None:
    reader = reader_engine(pg_engine)
    calls = []

    def failing(conn) -> None:
        calls.append(1)
        conn.execute(text("SELECT 1/0"))

    try:
        with pytest.raises(Exception, match="division by zero"):
            run_read(reader, failing)
        assert len(calls) == 1
    finally:
        reader.dispose()


@pytest.mark.parametrize(("per_execution", "mode"), [(True, "force_custom_plan"), (False, "auto")])
def test_processors_plan_each_execution_and_the_api_keeps_the_plan_cache(pg_url, per_execution, mode) -> None:
    engine = create_db_engine(pg_url, plan_per_execution=per_execution)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == mode
        reader = reader_engine(engine)
        assert (
            run_read(reader, lambda conn: conn.execute(text("SHOW plan_cache_mode")).scalar_one()) == "auto"
        )
        reader.dispose()
    finally:
        engine.dispose()

"""RoundTrip on PostgreSQL: statements pipelined in one round trip, run in order in the caller's
transaction, rows typed as SQLAlchemy types them, the COMMIT sent with them on request, and a
failing statement failing the whole transaction."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, column, insert, select, text
from sqlalchemy import table as light_table

from kernel.storage import RoundTrip
from kernel.storage.schema import processed_event

pytestmark = pytest.mark.integration

_BY_CONSUMER = select(processed_event).where(processed_event.c.consumer == bindparam("consumer"))
_MARK = insert(processed_event).values(
    consumer=bindparam("consumer"), event_id=bindparam("event_id"), processed_at=bindparam("at")
)


def _count(engine, consumer: str) -> int:
    with engine.connect() as conn:
        return len(conn.execute(_BY_CONSUMER, {"consumer": consumer}).all())


def test_statements_run_in_order_and_rows_come_typed(pg_engine) -> None:
    nairobi = timezone(timedelta(hours=3))
    at = datetime(2026, 1, 15, 12, 0, tzinfo=nairobi)
    mine: list = []
    nobodys: list = []
    with pg_engine.begin() as conn:
        trip = RoundTrip(conn)
        trip.add("mark", _MARK, {"consumer": "rt", "event_id": "e1", "at": at})
        trip.add("mark", _MARK, {"consumer": "rt", "event_id": "e2", "at": at})
        # queued after the inserts: sees them (same transaction, in order)
        trip.add("select", _BY_CONSUMER, {"consumer": "rt"}, on_rows=mine.extend)
        trip.add("select", _BY_CONSUMER, {"consumer": "nobody"}, on_rows=nobodys.extend)
        assert len(trip) == 4
        trip.run()
        assert len(trip) == 0
    assert sorted(r["event_id"] for r in mine) == ["e1", "e2"]
    assert nobodys == []
    stamp = mine[0]["processed_at"]
    # UtcDateTime's result processing applied, as through SQLAlchemy: the same instant, in UTC
    assert stamp == at and stamp.tzinfo == UTC
    assert _count(pg_engine, "rt") == 2


def test_commit_travels_with_the_statements(pg_engine) -> None:
    at = datetime(2026, 1, 15, tzinfo=UTC)
    with pg_engine.begin() as conn:
        trip = RoundTrip(conn)
        trip.add("mark", _MARK, {"consumer": "committed", "event_id": "e1", "at": at})
        trip.run(commit=True)
        # visible to another session before this block's own commit: the trip committed
        assert _count(pg_engine, "committed") == 1
    assert _count(pg_engine, "committed") == 1


def test_without_commit_the_callers_transaction_decides(pg_engine) -> None:
    at = datetime(2026, 1, 15, tzinfo=UTC)
    with pg_engine.connect() as conn:
        trip = RoundTrip(conn)
        trip.add("mark", _MARK, {"consumer": "rolled-back", "event_id": "e1", "at": at})
        trip.run()
        assert _count(pg_engine, "rolled-back") == 0  # not committed yet
        conn.rollback()
    assert _count(pg_engine, "rolled-back") == 0


def test_a_failing_statement_fails_the_trip_and_the_transaction(pg_engine) -> None:
    at = datetime(2026, 1, 15, tzinfo=UTC)
    missing = light_table("no_such_table", column("x"))
    with pytest.raises(Exception, match="no_such_table"):
        with pg_engine.begin() as conn:
            trip = RoundTrip(conn)
            trip.add("mark", _MARK, {"consumer": "failed", "event_id": "e1", "at": at})
            trip.add("broken", select(missing.c.x), {})
            trip.run(commit=True)
    assert _count(pg_engine, "failed") == 0
    # the pooled connection is usable again
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_executemany_is_refused_in_a_pipeline(pg_engine) -> None:
    with pg_engine.connect() as conn:
        with pytest.raises(TypeError, match="one set of parameters"):
            RoundTrip(conn).add("many", _MARK, [{"consumer": "c", "event_id": "e", "at": None}])


def test_a_connection_the_server_dropped_fails_one_trip_and_the_pool_recovers(pg_url) -> None:
    """Processors run without the pool's pre-ping: a pipelined trip on a connection the server
    closed fails (the runner retries the batch), and the next checkout gets a working one."""
    from sqlalchemy import create_engine

    from infra.local_services import PG_ADMIN
    from kernel.storage import create_db_engine, migrate

    engine = create_db_engine(pg_url, pre_ping=False)
    migrate(engine)
    at = datetime(2026, 1, 15, tzinfo=UTC)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
        admin.dispose()

        with pytest.raises(Exception, match="(?i)terminat|closed|connection"):
            with engine.begin() as conn:
                trip = RoundTrip(conn)
                trip.add("mark", _MARK, {"consumer": "dropped", "event_id": "e1", "at": at})
                trip.run(commit=True)
        with engine.begin() as conn:
            trip = RoundTrip(conn)
            trip.add("mark", _MARK, {"consumer": "dropped", "event_id": "e1", "at": at})
            trip.run(commit=True)
        assert _count(engine, "dropped") == 1
    finally:
        engine.dispose()

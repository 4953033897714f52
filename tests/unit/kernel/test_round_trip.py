"""RoundTrip off PostgreSQL (SQLite, the embedded mode): the same statements, one after the
other through SQLAlchemy, in the caller's transaction; executemany allowed."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select

from kernel.storage import RoundTrip, create_db_engine, migrate
from kernel.storage.schema import processed_event

pytestmark = pytest.mark.unit

_BY_CONSUMER = select(processed_event).where(processed_event.c.consumer == bindparam("consumer"))


@pytest.fixture
def engine(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'rt.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def test_statements_run_in_order_in_the_callers_transaction(engine) -> None:
    at = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    rows: list = []
    with engine.connect() as conn:
        trip = RoundTrip(conn)
        many = [{"consumer": "rt", "event_id": f"e{i}", "processed_at": at} for i in range(3)]
        trip.add(None, insert(processed_event), many)
        trip.add(None, _BY_CONSUMER, {"consumer": "rt"}, on_rows=rows.extend)
        trip.run(commit=True)  # off PostgreSQL the caller's transaction still decides
        conn.rollback()
    assert sorted(r["event_id"] for r in rows) == ["e0", "e1", "e2"]
    assert rows[0]["processed_at"] == at
    with engine.connect() as conn:
        assert conn.execute(_BY_CONSUMER, {"consumer": "rt"}).all() == []


def test_an_empty_trip_does_nothing(engine) -> None:
    with engine.connect() as conn:
        RoundTrip(conn).run(commit=True)

"""The customer read of the decision path on PostgreSQL (a prepared statement on the driver's
cursor, through the autocommit reader pool) answers what the step-by-step SQLAlchemy reads answer,
and a connection the server dropped is replaced without failing the read."""

import pytest
from sqlalchemy import select, text

from bento_service.decisions._lookups import read_customer, read_gcid, read_profile
from identity.errors import UnknownGcid
from kernel.storage import reader_engine, run_read
from kernel.storage.schema import identity_record
from kernel.transport import InProcessBus
from pipelines.processors import Customer360Handler, IdentityHandler
from tests.factories import customer, transaction

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
def db(pg_engine):
    identity = IdentityHandler(pg_engine, InProcessBus().publisher())
    c360 = Customer360Handler(pg_engine)
    for event in (
        customer("v5", "C1", kyc_tier=2, segment="retail", pep=False, sanctioned=True),
        customer(
            "v5", "C2", first_name="Otieno", last_name="Kamau", national_id="87654321", phones=(), emails=()
        ),
    ):
        identity.handle(event)
        c360.handle(event)
    for i, device in enumerate(["dev-a", "dev-b", "dev-a", None]):
        c360.handle(transaction("v5", f"T1{i}", "C1", device_id=device))
    reader = reader_engine(pg_engine)
    yield pg_engine, reader
    reader.dispose()


def served(reader, gcid, system, key):
    """The read as the decision engine runs it."""
    return run_read(reader, lambda c: read_customer(c, gcid, system, key))


def stepwise(conn, gcid, system, key):
    found = read_gcid(conn, gcid, system, key)
    return found, (read_profile(conn, found) if found else None)


def test_the_prepared_read_equals_the_stepwise_reads(db):
    engine, reader = db
    with engine.connect() as conn:
        gcids = dict(conn.execute(select(identity_record.c.source_key, identity_record.c.gcid)).all())
        for _ in range(7):  # past psycopg's prepare threshold: the prepared statement answers too
            for key in ("C1", "C2", "NOPE"):
                assert served(reader, None, "v5", key) == stepwise(conn, None, "v5", key)
            assert served(reader, gcids["C1"], None, None) == stepwise(conn, gcids["C1"], None, None)
    _, profile = served(reader, None, "v5", "C1")
    assert profile is not None and profile.known_devices == {"dev-a", "dev-b"} and profile.sanctioned
    with pytest.raises(UnknownGcid):
        served(reader, "GC0000000000000000", None, None)


def test_a_dropped_connection_is_replaced_and_the_read_still_answers(db):
    engine, reader = db
    first = served(reader, None, "v5", "C1")
    with reader.connect() as conn:  # the pooled connection the next read will get
        pid = conn.execute(text("select pg_backend_pid()")).scalar_one()
    with engine.begin() as admin:
        admin.execute(text("select pg_terminate_backend(:p)"), {"p": pid})
    assert served(reader, None, "v5", "C1") == first

"""The one-round-trip customer read of the decision path answers exactly what the step-by-step
reads answer: GCID, golden-record flags and known devices, for source keys and GCIDs, unknown
customers and merged GCIDs (merges and splits are read live: there is no serving cache to go stale)."""

import pytest
from sqlalchemy import select, update

from bento_service.decisions._lookups import read_customer, read_gcid, read_profile
from identity.errors import UnknownGcid
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import gcid as gcid_table
from kernel.storage.schema import identity_record
from kernel.transport import InProcessBus
from pipelines.processors import Customer360Handler, IdentityHandler
from tests.factories import customer, transaction

pytestmark = pytest.mark.unit


@pytest.fixture
def db(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'c.db'}")
    migrate(engine)
    identity = IdentityHandler(engine, InProcessBus().publisher())
    c360 = Customer360Handler(engine)
    people = [
        customer("v5", "C1", kyc_tier=2, segment="retail", pep=False, sanctioned=True),
        customer(
            "v5", "C2", first_name="Otieno", last_name="Kamau", national_id="87654321", phones=(), emails=()
        ),
        customer(
            "v5", "C3", first_name="Amina", last_name="Hassan", national_id="11112222", phones=(), emails=()
        ),
    ]
    for event in people[:2]:  # C3 has no golden record yet: flags unknown, still a GCID
        identity.handle(event)
        c360.handle(event)
    identity.handle(people[2])
    for i, device in enumerate(["dev-a", "dev-b", "dev-a", None]):
        c360.handle(transaction("v5", f"T1{i}", "C1", device_id=device))
    c360.handle(transaction("v5", "T20", "C2", device_id="dev-z"))
    yield engine
    engine.dispose()


def gcid_of(engine, key: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            select(identity_record.c.gcid).where(identity_record.c.source_key == key)
        ).scalar_one()


def stepwise(conn, gcid, system, key):
    found = read_gcid(conn, gcid, system, key)
    return found, (read_profile(conn, found) if found else None)


@pytest.mark.parametrize("key", ["C1", "C2", "C3", "NOPE"])
def test_by_source_key_equals_the_stepwise_reads(db, key):
    with db.connect() as conn:
        assert read_customer(conn, None, "v5", key) == stepwise(conn, None, "v5", key)
    if key == "C1":
        with db.connect() as conn:
            _, profile = read_customer(conn, None, "v5", "C1")
        assert profile is not None and profile.known_devices == {"dev-a", "dev-b"}
        assert (profile.kyc_tier, profile.segment, profile.pep, profile.sanctioned) == (
            2,
            "retail",
            False,
            True,
        )


def test_by_gcid_equals_the_stepwise_reads_and_an_unknown_gcid_raises(db):
    with db.connect() as conn:
        for key in ("C1", "C3"):
            g = gcid_of(db, key)
            assert read_customer(conn, g, None, None) == stepwise(conn, g, None, None)
        with pytest.raises(UnknownGcid):
            read_customer(conn, "GC0000000000000000", None, None)


def test_a_merged_gcid_answers_its_survivor_with_every_member_device(db):
    survivor, merged = gcid_of(db, "C1"), gcid_of(db, "C2")
    with db.begin() as conn:  # what a merge leaves behind: the old GCID points at the survivor
        conn.execute(update(gcid_table).where(gcid_table.c.gcid == merged).values(merged_into=survivor))
        conn.execute(update(identity_record).where(identity_record.c.gcid == merged).values(gcid=survivor))
    with db.connect() as conn:
        by_old = read_customer(conn, merged, None, None)
        assert by_old == stepwise(conn, merged, None, None)
        assert by_old[0] == survivor and by_old[1] is not None
        assert by_old[1].known_devices == {"dev-a", "dev-b", "dev-z"}
        assert read_customer(conn, None, "v5", "C2") == by_old  # the source key follows the merge at once

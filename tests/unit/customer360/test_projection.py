from decimal import Decimal

import pytest
from sqlalchemy import func, select

from customer360 import (
    get_accounts,
    get_customer,
    get_recent_transactions,
    upsert_account,
    upsert_transaction,
)
from identity.errors import UnknownGcid
from kernel.events import parse_event
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import identity_record, transaction_360
from kernel.transport import InProcessBus
from pipelines.processors import Customer360Handler, IdentityHandler
from tests.factories import account, customer, hours, transaction

pytestmark = pytest.mark.unit


@pytest.fixture
def engine():
    e = create_db_engine("sqlite://")
    migrate(e)
    yield e
    e.dispose()


def _run(engine, *events):
    """Identity then Customer 360, as the two processors do, following identity.events."""
    bus = InProcessBus()
    identity, c360 = IdentityHandler(engine, bus.publisher()), Customer360Handler(engine)
    for e in events:
        if e.event_type == "customer.changed":
            identity.handle(e)
            c360.handle(e)  # both processors consume customer.events
        else:
            c360.handle(e)
    for r in bus.records("identity.events"):
        c360.handle(parse_event("identity.events", r.value))
    return bus


def test_duplicate_customers_across_systems_become_one_golden_record(engine):
    _run(
        engine,
        customer("v5", "C1", segment="retail"),
        customer("dfs", "9", national_id=None, segment="agency"),
    )
    with engine.connect() as conn:
        gcids = {r.gcid for r in conn.execute(select(identity_record.c.gcid))}
        assert len(gcids) == 1
        view = get_customer(conn, gcids.pop())
    assert view.segment == "retail"  # v5 is more trusted than dfs
    assert sorted(view.source_records) == ["dfs:9", "v5:C1"]


def test_same_event_twice_changes_nothing(engine):
    bus = _run(engine, customer(), customer())
    assert len(bus.records("identity.events")) == 2  # the duplicate re-publishes its outbox
    assert bus.records("identity.events")[0].value == bus.records("identity.events")[1].value


def test_older_account_update_never_overwrites_a_newer_one(engine):
    newer = account(at=customer().occurred_at + hours(2), position="2", balance="500.00")
    older = account(at=customer().occurred_at + hours(1), position="1", balance="100.00")
    with engine.begin() as conn:
        assert upsert_account(conn, newer)
        assert not upsert_account(conn, older)
    _run(engine, customer())
    with engine.connect() as conn:
        gcid = conn.execute(select(identity_record.c.gcid)).scalar_one()
        [acc] = get_accounts(conn, gcid)
    assert acc.balance == Decimal("500.00")


def test_transactions_are_inserted_once_and_found_by_gcid(engine):
    txn = transaction(amount="250.50")
    with engine.begin() as conn:
        assert upsert_transaction(conn, txn)
        assert not upsert_transaction(conn, txn)
        assert conn.execute(select(func.count()).select_from(transaction_360)).scalar() == 1
    _run(engine, customer())
    with engine.connect() as conn:
        gcid = conn.execute(select(identity_record.c.gcid)).scalar_one()
        [view] = get_recent_transactions(conn, gcid)
    assert (view.amount, view.amount_minor) == (Decimal("250.50"), 25050)


def test_a_transaction_before_its_customer_is_linked_when_the_customer_arrives(engine):
    _run(engine, transaction(), customer())
    with engine.connect() as conn:
        gcid = conn.execute(select(identity_record.c.gcid)).scalar_one()
        assert len(get_recent_transactions(conn, gcid)) == 1


def test_unknown_gcid_is_reported(engine):
    with engine.connect() as conn, pytest.raises(UnknownGcid):
        get_customer(conn, "GCNOPE")

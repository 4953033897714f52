from datetime import UTC, datetime, timedelta

import pytest

from pipelines.events import GcidMerged, GcidMergedPayload, SourceRef, make_event_id, parse_event
from pipelines.features import InMemoryFeatureStore
from pipelines.processors import Customer360Handler, FeaturesHandler, IdentityHandler
from pipelines.storage import create_db_engine, migrate
from pipelines.transport import InProcessBus
from tests.factories import customer, transaction

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def world():
    engine = create_db_engine("sqlite://")
    migrate(engine)
    bus = InProcessBus()
    store = InMemoryFeatureStore()
    yield engine, bus, store, IdentityHandler(engine, bus.publisher()), FeaturesHandler(engine, store)
    engine.dispose()


def _identity_events(bus, handler, start=0):
    for r in bus.records("identity.events")[start:]:
        handler.handle(parse_event("identity.events", r.value))


def test_a_transaction_before_its_customer_is_parked_then_counted(world):
    engine, bus, store, identity, features = world
    features.handle(transaction(at=NOW - timedelta(hours=1), amount="100.00"))
    features.flush()
    assert store.pushed == []
    identity.handle(customer(at=NOW - timedelta(days=1)))
    _identity_events(bus, features)
    [row] = store.pushed
    assert (row.txn_count_24h, row.txn_amount_sum_24h) == (1, 100.0)


def test_a_late_transaction_corrects_the_latest_row_even_in_a_newest_wins_store(world):
    engine, bus, store, identity, features = world
    identity.handle(customer(at=NOW - timedelta(days=1)))
    _identity_events(bus, features)
    features.handle(transaction(key="T2", at=NOW - timedelta(minutes=5), amount="50.00"))
    features.flush()
    features.handle(transaction(key="T1", at=NOW - timedelta(hours=2), amount="20.00"))  # late
    features.flush()
    gcid = store.pushed[0].gcid
    online = store.online_features(gcid)
    assert (online.txn_count_24h, online.txn_amount_sum_24h) == (2, 70.0)
    assert online.event_timestamp == NOW - timedelta(minutes=5) + timedelta(microseconds=1)


def test_a_merge_moves_the_window_under_the_survivor(world):
    engine, bus, store, identity, features = world
    identity.handle(customer("v5", "C1", at=NOW - timedelta(days=1)))
    identity.handle(
        customer(
            "crm",
            "Z",
            at=NOW - timedelta(days=1),
            national_id="99999999",
            phones=(),
            emails=("other@x.co",),
            first_name="Peter",
        )
    )
    _identity_events(bus, features)
    features.handle(transaction("v5", "T1", "C1", at=NOW - timedelta(hours=1), amount="10.00"))
    features.handle(transaction("crm", "T9", "Z", at=NOW - timedelta(minutes=30), amount="5.00"))
    features.flush()
    survivor, merged = store.pushed[0].gcid, store.pushed[-1].gcid
    assert survivor != merged
    features.handle(
        GcidMerged(
            event_id=make_event_id("brain.identity", "merge", f"{merged}>{survivor}", "op"),
            source_system="brain.identity",
            source_table="gcid",
            source_key=survivor,
            occurred_at=NOW,
            payload=GcidMergedPayload(
                survivor=survivor,
                merged=merged,
                records=(SourceRef(source_system="crm", source_key="Z"),),
                settings_version="t",
                decided_by="operator",
            ),
        )
    )
    features.flush()
    online = store.online_features(survivor)
    assert (online.txn_count_24h, online.txn_amount_sum_24h) == (2, 15.0)


def test_the_windows_are_warmed_from_the_customer_360_after_a_restart(world):
    engine, bus, store, identity, _ = world
    identity.handle(customer(at=NOW - timedelta(days=1)))
    Customer360Handler(engine).handle(transaction(at=NOW - timedelta(hours=3), amount="40.00"))
    restarted = FeaturesHandler(engine, store)
    assert restarted.warm() == 1
    restarted.handle(transaction(key="T2", at=NOW - timedelta(hours=1), amount="2.00"))
    restarted.flush()
    assert store.pushed[-1].txn_count_24h == 2

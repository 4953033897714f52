from datetime import UTC, datetime, timedelta

import pytest

from features import FeatureRow, InMemoryFeatureStore
from identity import SourceRecordRef
from kernel.events import (
    FraudAlertPayload,
    FraudAlertRaised,
    GcidMerged,
    GcidMergedPayload,
    LoginAttempted,
    LoginPayload,
    RiskScorePayload,
    RiskScoreUpdated,
    SourceRef,
    make_event_id,
    parse_event,
)
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from pipelines.identity_graph import operator_split
from pipelines.processors import Customer360Handler, FeaturesHandler, IdentityHandler
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


def _windows(store: InMemoryFeatureStore) -> list[FeatureRow]:
    """The ``transaction_windows`` rows pushed so far (the 24 h velocity columns among them)."""
    return [r for r in store.pushed_rows if r.view == "transaction_windows"]


def _identity_events(bus, handler, start=0):
    for r in bus.records("identity.events")[start:]:
        handler.handle(parse_event("identity.events", r.value))


def test_a_transaction_before_its_customer_is_parked_then_counted(world):
    engine, bus, store, identity, features = world
    features.handle(transaction(at=NOW - timedelta(hours=1), amount="100.00"))
    features.flush()
    assert _windows(store) == []
    identity.handle(customer(at=NOW - timedelta(days=1)))
    _identity_events(bus, features)
    [row] = _windows(store)
    assert (row.values["txn_count_24h"], row.values["txn_amount_sum_24h"]) == (1, 100.0)


def test_a_late_transaction_corrects_the_latest_row_even_in_a_newest_wins_store(world):
    engine, bus, store, identity, features = world
    identity.handle(customer(at=NOW - timedelta(days=1)))
    _identity_events(bus, features)
    features.handle(transaction(key="T2", at=NOW - timedelta(minutes=5), amount="50.00"))
    features.flush()
    features.handle(transaction(key="T1", at=NOW - timedelta(hours=2), amount="20.00"))  # late
    features.flush()
    gcid = _windows(store)[0].gcid
    online = store.online_features(gcid)
    assert (online.get("txn_count_24h"), online.get("txn_amount_sum_24h")) == (2, 70.0)
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
    survivor, merged = _windows(store)[0].gcid, _windows(store)[-1].gcid
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
    assert (online.get("txn_count_24h"), online.get("txn_amount_sum_24h")) == (2, 15.0)


def test_the_windows_are_warmed_from_the_customer_360_after_a_restart(world):
    engine, bus, store, identity, _ = world
    identity.handle(customer(at=NOW - timedelta(days=1)))
    Customer360Handler(engine).handle(transaction(at=NOW - timedelta(hours=3), amount="40.00"))
    restarted = FeaturesHandler(engine, store)
    assert restarted.warm() == 1
    restarted.handle(transaction(key="T2", at=NOW - timedelta(hours=1), amount="2.00"))
    restarted.flush()
    assert _windows(store)[-1].values["txn_count_24h"] == 2


def _login(key: str, at: datetime, success: bool, device: str) -> LoginAttempted:
    return LoginAttempted(
        event_id=make_event_id("v5", "logins", key, "1"),
        source_system="v5",
        source_table="logins",
        source_key=key,
        occurred_at=at,
        payload=LoginPayload(customer_source_key="C1", channel="mobile", success=success, device_id=device),
    )


def test_every_streamed_view_is_pushed_and_parked_events_of_any_topic_are_released(world):
    engine, bus, store, identity, features = world
    features.handle(_login("L1", NOW - timedelta(minutes=10), False, "d1"))  # before the customer: parked
    features.handle(
        RiskScoreUpdated(
            event_id=make_event_id("risk", "scores", "R1", "1"),
            source_system="v5",
            source_table="scores",
            source_key="R1",
            occurred_at=NOW - timedelta(minutes=9),
            payload=RiskScorePayload(customer_source_key="C1", score_type="aml", score=800, rating="high"),
        )
    )
    features.flush()
    assert store.pushed_rows == []
    cust = customer(at=NOW - timedelta(days=1), kyc_tier=2, segment="retail")
    identity.handle(cust)
    _identity_events(bus, features)
    features.handle(cust)
    features.handle(
        FraudAlertRaised(
            event_id=make_event_id("fraud", "alerts", "F1", "1"),
            source_system="v5",
            source_table="alerts",
            source_key="F1",
            occurred_at=NOW - timedelta(minutes=5),
            payload=FraudAlertPayload(customer_source_key="C1", alert_type="sim_swap", severity="high"),
        )
    )
    features.handle(_login("L2", NOW - timedelta(minutes=4), False, "d2"))
    features.handle(transaction(at=NOW - timedelta(minutes=3), amount="100.00"))
    features.flush()
    gcid = _windows(store)[0].gcid
    assert {r.view for r in store.pushed_rows} == {
        "login_device",
        "customer_risk",
        "customer_profile",
        "transaction_windows",
        "counterparty_novelty",
    }
    assert store.online_row("login_device", gcid).values["failed_logins_1h"] == 2
    assert store.online_row("customer_risk", gcid).values == {
        "aml_rating": 3,
        "credit_score": None,
        "open_fraud_alerts": 1,
    }
    assert store.online_row("customer_profile", gcid).values["kyc_tier"] == 2
    assert store.online_row("transaction_windows", gcid).values["txn_count_30d"] == 1


def test_a_split_moves_the_split_off_records_windows_to_the_new_gcid(world):
    engine, bus, store, identity, features = world
    identity.handle(customer("v5", "C1", at=NOW - timedelta(days=1)))
    identity.handle(customer("crm", "Z", at=NOW - timedelta(days=1)))  # same person: one GCID
    _identity_events(bus, features)
    features.handle(transaction("v5", "T1", "C1", at=NOW - timedelta(hours=2), amount="10.00"))
    features.handle(transaction("crm", "T9", "Z", at=NOW - timedelta(hours=1), amount="5.00"))
    features.flush()
    gcid = _windows(store)[-1].gcid
    assert (store.online_features(gcid).get("txn_count_24h"), len({r.gcid for r in _windows(store)})) == (
        2,
        1,
    )

    # a later event of the old GCID is pending in the batch when the split arrives
    features.handle(transaction("v5", "T2", "C1", at=NOW - timedelta(minutes=30), amount="1.00"))
    with engine.begin() as conn:
        split = operator_split(conn, gcid, [SourceRecordRef("crm", "Z")], "two people", "operator:t")
    features.handle(split)
    features.flush()

    new = split.payload.new_gcid
    old_online, new_online = store.online_features(gcid), store.online_features(new)
    assert (old_online.get("txn_count_24h"), old_online.get("txn_amount_sum_24h")) == (2, 11.0)
    assert (new_online.get("txn_count_24h"), new_online.get("txn_amount_sum_24h")) == (1, 5.0)
    assert store.online_row("transaction_windows", gcid).values["txn_count_24h"] == 2
    assert store.online_row("transaction_windows", new).values["txn_amount_sum_24h"] == 5.0
    # offline (the pushed log) has the new GCID's row too, and the next events follow the split
    assert {r.gcid for r in store.pushed_rows if r.view == "transaction_windows"} == {gcid, new}
    features.handle(transaction("crm", "T10", "Z", at=NOW - timedelta(minutes=10), amount="7.00"))
    features.flush()
    assert store.online_features(new).get("txn_count_24h") == 2
    assert store.online_features(gcid).get("txn_count_24h") == 2

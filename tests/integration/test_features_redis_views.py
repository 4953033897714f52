"""The streamed views end to end on the real Redis: CustomerActivity rows → push → fraud_v1
online (on-demand features computed at request time) and the offline Parquet; an identity split
through the features processor re-keys both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import redis
from sqlalchemy import Engine

from feature_repo.sources import view_parquet
from features import CustomerActivity
from features.feast_store import FeastFeatureStore
from identity import SourceRecordRef
from kernel.events import GcidAssigned, RiskScorePayload, RiskScoreUpdated, Topic, make_event_id, parse_event
from kernel.transport import InProcessBus
from pipelines.identity_graph import operator_split
from pipelines.processors import FeaturesHandler, IdentityHandler
from pipelines.settings import PipelineSettings, Profile
from tests.factories import customer, transaction

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2] / "feature_repo"
REDIS_URL = "redis://127.0.0.1:6379/13"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeastFeatureStore]:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    project = f"brain_it_{uuid.uuid4().hex[:10]}"
    settings = PipelineSettings(
        profile=Profile.SERVICES, run_dir=tmp_path_factory.mktemp("run"), feast_repo=REPO, redis_url=REDIS_URL
    )
    store = FeastFeatureStore(settings, project=project)
    store.apply()
    yield store
    for key in client.scan_iter(match=f"*{project}".encode()):
        client.delete(key)
    client.close()


def test_streamed_rows_are_served_through_fraud_v1_with_request_time_features(
    store: FeastFeatureStore,
) -> None:
    activity = CustomerActivity()
    rows = [
        *activity.observe_transaction(
            "g-v", NOW - timedelta(hours=2), 100.0, "t1", channel="mpesa", counterparty="A"
        ),
        *activity.observe_transaction(
            "g-v", NOW - timedelta(minutes=10), 300.0, "t2", channel="card", counterparty="B"
        ),
        *activity.observe_login("g-v", NOW - timedelta(minutes=12), "l1", success=False, device="d1"),
        *activity.observe_customer("g-v", NOW - timedelta(days=400), kyc_tier=3, segment="premier"),
        *activity.observe_risk("g-v", NOW - timedelta(days=1), score_type="aml", score=400, rating="medium"),
    ]
    store.push_rows(rows)
    request_epoch = NOW.timestamp()
    values = store.service_online(
        "fraud_v1", [{"gcid": "g-v", "request_amount": 1000.0, "request_epoch": request_epoch}]
    )

    assert values["txn_count_24h"] == [2]
    assert values["txn_amount_sum_24h"] == [400.0]
    assert values["txn_amount_max_1h"] == [300.0]
    assert values["distinct_counterparties_7d"] == [2]
    assert values["failed_logins_1h"] == [1]
    assert values["kyc_tier"] == [3]
    assert values["aml_rating"] == [2]
    assert values["amount_vs_mean_30d"] == [pytest.approx(1000.0 / 200.0)]
    assert values["seconds_since_last_txn"] == [pytest.approx(600.0)]
    assert values["hour_of_day_risk"][0] in (0.0, 0.5, 1.0)

    unknown = store.service_online(
        "fraud_v1", [{"gcid": "nobody", "request_amount": 5.0, "request_epoch": request_epoch}]
    )
    assert unknown["txn_count_24h"] == [None]
    assert unknown["amount_vs_mean_30d"] == [None]

    offline = pd.read_parquet(view_parquet(store.data_dir, "transaction_windows"))
    assert offline["txn_count_24h"].tolist() == [1, 2]


def test_a_split_re_keys_the_online_and_offline_features_on_redis(
    store: FeastFeatureStore, pg_engine: Engine
) -> None:
    bus = InProcessBus()
    identity, features = IdentityHandler(pg_engine, bus.publisher()), FeaturesHandler(pg_engine, store)
    for cust in (
        customer("v5", "S1", at=NOW - timedelta(days=2)),
        customer("crm", "S2", at=NOW - timedelta(days=2)),
    ):
        identity.handle(cust)  # same person twice: one GCID
    for record in bus.records(Topic.IDENTITY.value):
        features.handle(parse_event(Topic.IDENTITY.value, record.value))
    features.handle(transaction("v5", "ST1", "S1", at=NOW - timedelta(hours=3), amount="100.00"))
    features.handle(transaction("crm", "ST2", "S2", at=NOW - timedelta(hours=2), amount="40.00"))
    features.handle(
        RiskScoreUpdated(
            event_id=make_event_id("crm", "scores", "SR", "1"),
            source_system="crm",
            source_table="scores",
            source_key="SR",
            occurred_at=NOW - timedelta(hours=1),
            payload=RiskScorePayload(
                customer_source_key="S2", score_type="aml", score=950, rating="very_high"
            ),
        )
    )
    features.flush()
    [gcid] = {
        event.payload.gcid
        for record in bus.records(Topic.IDENTITY.value)
        if isinstance(event := parse_event(Topic.IDENTITY.value, record.value), GcidAssigned)
    }
    epoch = NOW.timestamp()

    def online(g: str) -> tuple[object, object]:
        values = store.service_online(
            "fraud_v1", [{"gcid": g, "request_amount": 1.0, "request_epoch": epoch}]
        )
        return values["txn_count_24h"][0], values["aml_rating"][0]

    assert online(gcid) == (2, 4)

    with pg_engine.begin() as conn:
        split = operator_split(conn, gcid, [SourceRecordRef("crm", "S2")], "two people", "operator:it")
    features.handle(split)
    features.flush()

    new = split.payload.new_gcid
    assert online(gcid) == (1, 0)
    assert online(new) == (1, 4)
    offline = pd.read_parquet(view_parquet(store.data_dir, "transaction_windows"))
    latest = offline.sort_values("event_timestamp").groupby("gcid").last()
    assert latest.loc[gcid, "txn_amount_sum_24h"] == 100.0
    assert latest.loc[new, "txn_amount_sum_24h"] == 40.0

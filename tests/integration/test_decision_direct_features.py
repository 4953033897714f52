"""The decision path's direct online read of the decision context answers what Feast's
``get_online_features`` answers (fresh rows, absent GCIDs, windows elapsed) on the real Redis, and
says "unavailable" when Redis is down; its read of a model's feature service answers what Feast's
does, on fresh rows and on rows older than their view's ttl (null, as in the training rows).
Isolation: Redis database 13 and a project unique to the run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from bento_service.decisions._features import DirectOnlineFeatures
from features import CustomerActivity, FeatureStoreUnavailable
from features.errors import FeatureStoreError
from features.feast_store import FeastFeatureStore
from pipelines.settings import PipelineSettings, Profile
from tests.factories import feature_row, velocity_row
from tests.faults import proxied

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2] / "feature_repo"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def project() -> Iterator[str]:
    """A Feast project unique to the test; its Redis keys are deleted afterwards."""
    name = f"brain_dir_{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url("redis://127.0.0.1:6379/13", socket_timeout=2)
    for key in client.scan_iter(match=f"*{name}".encode()):
        client.delete(key)
    client.close()


def test_direct_read_equals_feast_and_fails_as_unavailable(tmp_path, project):
    with proxied(6379) as proxy:
        settings = PipelineSettings(
            profile=Profile.SERVICES,
            run_dir=tmp_path,
            feast_repo=REPO,
            redis_url=f"redis://127.0.0.1:{proxy.port}/13",
        )
        store = FeastFeatureStore(settings, project=project)
        store.apply()
        store.push_rows(
            [
                velocity_row("g-fresh", NOW - timedelta(minutes=5), 3, 4500.5),
                feature_row("login_device", "g-fresh", NOW - timedelta(minutes=2), failed_logins_1h=11),
                feature_row("customer_risk", "g-fresh", NOW - timedelta(days=9), aml_rating=3),
                velocity_row("g-stale", NOW - timedelta(days=3), 7, 100.0),
                feature_row("transaction_windows", "g-old", NOW - timedelta(days=45), txn_count_30d=1),
                velocity_row("g-zero", NOW - timedelta(hours=1), 0, 0.0),
            ]
        )
        direct = DirectOnlineFeatures(store)
        for gcid in ("g-fresh", "g-stale", "g-old", "g-zero", "g-absent"):
            assert direct.online_features(gcid) == store.online_features(gcid), gcid
        fresh = direct.online_features("g-fresh")
        assert (fresh.get("txn_count_24h"), fresh.get("failed_logins_1h"), fresh.get("aml_rating")) == (
            3,
            11,
            3,
        )
        assert direct.online_features("g-stale").get("txn_count_24h") is None  # older than its 24 h window
        assert direct.online_features("g-old").event_timestamp is None  # older than the view's ttl

        row: dict[str, str | float] = {"gcid": "g-fresh", "request_amount": 1.0, "request_epoch": 0.0}
        assert direct.service_online("fraud_v1", [row])["txn_count_24h"] == [3]  # one view, two services

        proxy.down()
        with pytest.raises(FeatureStoreUnavailable):
            direct.online_features("g-fresh")
        with pytest.raises(FeatureStoreUnavailable):
            direct.service_online("fraud_v1", [row])


def test_direct_service_read_equals_feast_on_fresh_rows_and_nulls_rows_older_than_the_ttl(tmp_path, project):
    settings = PipelineSettings(
        profile=Profile.SERVICES, run_dir=tmp_path, feast_repo=REPO, redis_url="redis://127.0.0.1:6379/13"
    )
    store = FeastFeatureStore(settings, project=project)
    store.apply()
    activity = CustomerActivity()
    rows = []
    for i, gcid in enumerate(("g-a", "g-b", "g-c")):
        rows += activity.observe_transaction(
            gcid,
            NOW - timedelta(hours=3 + i),
            100.0 * (i + 1),
            f"t{i}a",
            channel="mpesa",
            counterparty="A",
        )
        rows += activity.observe_transaction(
            gcid, NOW - timedelta(minutes=20), 250.0, f"t{i}b", channel="card", counterparty=f"B{i}"
        )
        rows += activity.observe_login(gcid, NOW - timedelta(minutes=30), f"l{i}", success=i != 1, device="d")
        rows += activity.observe_customer(gcid, NOW - timedelta(days=400), kyc_tier=1 + i, segment="mass")
    rows += activity.observe_risk("g-b", NOW - timedelta(days=2), score_type="aml", score=700, rating="high")
    # g-old: every streamed view older than its 30-day ttl, the profile (10-year ttl) not
    rows += activity.observe_transaction(
        "g-old", NOW - timedelta(days=45), 90.0, "t-old", channel="mpesa", counterparty="A"
    )
    rows += activity.observe_login("g-old", NOW - timedelta(days=45), "l-old", success=False, device="d")
    rows += activity.observe_customer("g-old", NOW - timedelta(days=900), kyc_tier=2, segment="mass")
    store.push_rows(rows)
    direct = DirectOnlineFeatures(store)
    epoch = NOW.timestamp()

    for service in ("fraud_v1", "credit_v1"):
        for gcid in ("g-a", "g-b", "g-c", "g-absent"):
            row: dict[str, str | float] = {"gcid": gcid, "request_amount": 1234.5, "request_epoch": epoch}
            assert direct.service_online(service, [row]) == store.service_online(service, [row]), (
                service,
                gcid,
            )

    # one read of the entity serves the rules' context and every model's service: one round trip
    request = {"request_amount": 1234.5, "request_epoch": epoch}
    answers = {
        service: store.service_online(service, [{"gcid": "g-b", **request}])
        for service in ("fraud_v1", "credit_v1")
    }
    context = store.online_features("g-b")
    online: Any = store.store._get_provider().online_store
    trips: list[int] = []
    original = online._read_hash_fields

    def counted(*args: Any, **kwargs: Any) -> Any:
        trips.append(1)
        return original(*args, **kwargs)

    online._read_hash_fields = counted
    try:
        entity = direct.read_entity("g-b")
        served = {service: entity.service(service, request) for service in answers}
        assert (served, entity.decision_context()) == (answers, context)
    finally:
        online._read_hash_fields = original
    assert len(trips) == 1

    row = {"gcid": "g-old", "request_amount": 10.0, "request_epoch": epoch}
    feast, mine = store.service_online("fraud_v1", [row]), direct.service_online("fraud_v1", [row])
    assert mine == feast
    assert mine["txn_count_30d"] == [None]  # older than the view's ttl: null, as in training rows
    assert mine["amount_vs_mean_30d"] == [None]  # on-demand features from the nulled inputs
    assert mine["seconds_since_last_txn"] == [None]
    assert mine["kyc_tier"] == [2]  # within its own view's ttl
    two: list[dict[str, str | float]] = [
        row,
        {"gcid": "g-a", "request_amount": 1.0, "request_epoch": epoch},
    ]
    assert direct.service_online("fraud_v1", two) == store.service_online("fraud_v1", two)
    with pytest.raises(FeatureStoreError):
        direct.service_online("no_such_service", [row])

"""The Feast adapter in the services profile against the real Redis (``infra/up.sh redis``).

Isolation: Redis database 13 and a project name unique to the run (Feast ends every Redis key
with the project name), so parallel runs do not collide; the keys are deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import redis

from features import CustomerActivity
from features.feast_store import FeastFeatureStore
from pipelines.settings import PipelineSettings, Profile
from tests.factories import feature_row, served, velocity_row

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2] / "feature_repo"
REDIS_URL = "redis://127.0.0.1:6379/13"
NOW = datetime.now(UTC).replace(microsecond=0)
H = timedelta(hours=1)


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis[bytes]]:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is not up on 127.0.0.1:6379 (run infra/up.sh redis): {exc}")
    yield client
    client.close()


@pytest.fixture(scope="module")
def project() -> str:
    return f"brain_it_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, redis_client: redis.Redis[bytes], project: str
) -> Iterator[FeastFeatureStore]:
    settings = PipelineSettings(
        profile=Profile.SERVICES,
        run_dir=tmp_path_factory.mktemp("run"),
        feast_repo=REPO,
        redis_url=REDIS_URL,
    )
    store = FeastFeatureStore(settings, project=project)
    store.apply()
    yield store
    for key in redis_client.scan_iter(match=f"*{project}".encode()):
        redis_client.delete(key)


def test_pushed_rows_are_served_from_redis(
    store: FeastFeatureStore, redis_client: redis.Redis[bytes], project: str
) -> None:
    activity = CustomerActivity()
    rows = [
        *activity.observe_transaction(
            "g-redis", NOW - 2 * H, 1500.0, "r1", channel="card", counterparty=None
        ),
        *activity.observe_transaction("g-redis", NOW - H, 250.75, "r2", channel="card", counterparty=None),
        feature_row("login_device", "g-redis", NOW - H / 2, failed_logins_1h=2),
    ]

    store.push_rows(rows)

    online = store.online_features("g-redis")
    assert (online.get("txn_count_24h"), online.get("txn_amount_sum_24h")) == (2, 1750.75)
    assert (online.get("failed_logins_1h"), online.event_timestamp) == (2, NOW - H / 2)
    keys = list(redis_client.scan_iter(match=f"*{project}".encode()))
    assert keys  # one hash per customer, the project as key suffix
    assert all(0 < redis_client.ttl(key) <= 35 * 24 * 3600 for key in keys)  # key_ttl_seconds is set


def test_an_older_row_does_not_replace_the_newer_online_value(store: FeastFeatureStore) -> None:
    store.push_rows([velocity_row("g-order", NOW - H, 5, 50.0)])
    store.push_rows([velocity_row("g-order", NOW - 3 * H, 1, 1.0)])  # late row: offline only in effect

    assert store.online_features("g-order") == served(
        "g-order", NOW - H, txn_count_24h=5, txn_amount_sum_24h=50.0
    )


def test_absent_gcid_reads_as_none(store: FeastFeatureStore) -> None:
    assert store.online_features("g-absent") == served("g-absent")


def test_pushed_rows_are_in_the_offline_parquet(store: FeastFeatureStore) -> None:
    base = NOW - 50 * H
    store.push_rows([velocity_row("g-off", base, 1, 10.0), velocity_row("g-off", base + H, 2, 30.0)])
    entity_df = pd.DataFrame(
        {
            "gcid": ["g-off", "g-off", "g-off"],
            "event_timestamp": pd.to_datetime([base + H / 2, base + 2 * H, base - H], utc=True),
        }
    )

    frame = store.service_historical("decision_context_v1", entity_df)

    assert frame["txn_count_24h"].tolist()[:2] == [1, 2]
    assert frame["txn_amount_sum_24h"].tolist()[:2] == [10.0, 30.0]
    assert pd.isna(frame["txn_count_24h"].iloc[2])

"""The decision path's direct online read answers what Feast's ``get_online_features`` answers
(fresh rows, absent GCIDs, rows older than the ttl) on the real Redis, and says "unavailable" when
Redis is down. Isolation: Redis database 13 and a project unique to the run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from bento_service.decisions._features import DirectOnlineFeatures
from pipelines.features import FeatureStoreUnavailable, VelocityRow
from pipelines.features.feast_store import FeastFeatureStore
from pipelines.settings import PipelineSettings, Profile
from tests.faults import proxied

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2] / "feature_repo"
NOW = datetime.now(UTC).replace(microsecond=0)


def test_direct_read_equals_feast_and_fails_as_unavailable(tmp_path):
    project = f"brain_dir_{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/13", socket_timeout=2)
    with proxied(6379) as proxy:
        settings = PipelineSettings(
            profile=Profile.SERVICES,
            run_dir=tmp_path,
            feast_repo=REPO,
            redis_url=f"redis://127.0.0.1:{proxy.port}/13",
        )
        store = FeastFeatureStore(settings, project=project)
        try:
            store.apply()
            store.push(
                [
                    VelocityRow("g-fresh", NOW - timedelta(minutes=5), 3, 4500.5),
                    VelocityRow("g-stale", NOW - timedelta(days=3), 7, 100.0),
                    VelocityRow("g-zero", NOW - timedelta(hours=1), 0, 0.0),
                ]
            )
            direct = DirectOnlineFeatures(store)
            for gcid in ("g-fresh", "g-stale", "g-zero", "g-absent"):
                assert direct.online_features(gcid) == store.online_features(gcid), gcid
            assert direct.online_features("g-fresh").txn_count_24h == 3
            assert direct.online_features("g-stale").event_timestamp is None  # older than the ttl

            proxy.down()
            with pytest.raises(FeatureStoreUnavailable):
                direct.online_features("g-fresh")
        finally:
            for key in client.scan_iter(match=f"*{project}".encode()):
                client.delete(key)
            client.close()

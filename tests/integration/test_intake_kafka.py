"""POST /v1/intake/channel-events on real Kafka: valid items on login.events, invalid ones on its DLQ."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap, dev_token_issuer
from bento_service.settings import ServiceSettings
from features import InMemoryFeatureStore
from infra.local_services import KAFKA
from kernel.events import parse_event
from kernel.storage import create_db_engine, migrate
from kernel.transport import Record
from kernel.transport._kafka import KafkaEventConsumer, KafkaEventPublisher

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def test_channel_events_reach_kafka_and_invalid_ones_its_dlq(tmp_path, topic_prefix):
    settings = ServiceSettings(run_dir=tmp_path, database_url="sqlite://", models_enabled=False)
    engine = create_db_engine("sqlite://")
    migrate(engine)
    publisher = KafkaEventPublisher(KAFKA, "intake-tests", topic_prefix)
    deps = bootstrap(settings, engine=engine, features=InMemoryFeatureStore(), publisher=publisher)
    token = dev_token_issuer(settings).mint("ussd-gateway", ["intake:write"], timedelta(minutes=5))
    good: dict[str, Any] = {
        "event_id": f"ussd-{uuid.uuid4().hex[:12]}",
        "source_system": "ussd",
        "source_table": "sessions",
        "source_key": "SESS-1",
        "occurred_at": "2026-11-25T10:00:00+03:00",
        "payload": {
            "customer_source_key": "254712345678",
            "channel": "ussd",
            "success": False,
            "failure_reason": "wrong_pin",
            "session_id": "SESS-1",
        },
    }
    bad = {**good, "event_id": "ussd-bad-000001", "payload": {**good["payload"], "success": "maybe"}}
    try:
        with TestClient(build_app(deps)) as client:
            response = client.post(
                "/v1/intake/channel-events",
                json={"events": [good, bad]},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 422
        assert [i["status"] for i in response.json()["items"]] == ["accepted", "rejected"]

        consumer = KafkaEventConsumer(
            KAFKA, "t", f"g{uuid.uuid4().hex[:6]}", ["login.events", "login.events.dlq"], topic_prefix
        )
        got: list[Record] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(got) < 2:
            got += consumer.poll(500)
        consumer.close()
        by_topic = {r.topic.removeprefix(topic_prefix): r for r in got}
        assert sorted(by_topic) == ["login.events", "login.events.dlq"]
        event = parse_event("login.events", by_topic["login.events"].value)
        assert event.event_id == good["event_id"] and event.occurred_at.utcoffset() == timedelta(0)
        assert by_topic["login.events"].key == b"ussd:254712345678"
        assert json.loads(by_topic["login.events.dlq"].value) == bad
        assert b"success" in dict(by_topic["login.events.dlq"].headers)["error"]
    finally:
        publisher.close()
        engine.dispose()

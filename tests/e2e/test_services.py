"""The services mode end to end: Kafka, PostgreSQL, Feast on Redis, and the real BentoML server."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bento_service.bootstrap import dev_token_issuer
from bento_service.settings import ServiceSettings
from infra.local_services import KAFKA
from kernel.events import CustomerChanged
from kernel.storage.schema import dead_letter
from kernel.transport._kafka import KafkaEventConsumer
from pipelines.bootstrap import bootstrap
from pipelines.settings import PipelineSettings
from pipelines.simulator import simulate_bank
from tests.e2e.api_checks import check_brain_through_the_api
from tests.e2e.conftest import BRAIN, Truth, brain_env, free_port, running

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

CUSTOMERS, SEED = 120, 23


def _read_topic(prefix: str, topic: str, want, rounds: int = 40) -> list:
    consumer = KafkaEventConsumer(KAFKA, "e2e-reader", f"reader-{uuid.uuid4().hex[:6]}", [topic], prefix)
    got = []
    try:
        for _ in range(rounds):
            got.extend(consumer.poll(500))
            if want(got):
                break
    finally:
        consumer.close()
    return got


def _login(client: httpx.Client, who: CustomerChanged) -> dict:
    response = client.post(
        "/v1/decisions/login",
        json={
            "source_system": who.source_system,
            "customer_source_key": who.source_key,
            "channel": "mobile",
            "device_id": f"dev-{who.source_key}",
        },
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def _failed_login_burst_denies_the_next_login(client: httpx.Client, who: CustomerChanged) -> None:
    """Rule L003 (``features.failed_logins_1h >= 10``) reads a feature the stream computes: a burst
    of failed logins posted to the intake goes through Kafka, the feature processor and Redis, and
    the next login decision is denied by it."""
    assert "L003" not in _login(client, who)["fired_rules"]
    now = datetime.now(UTC)
    burst = [
        {
            "source_system": who.source_system,
            "source_table": "logins",
            "source_key": f"burst-{who.source_key}-{i}",
            "occurred_at": (now - timedelta(minutes=10) + timedelta(seconds=i)).isoformat(),
            "payload": {
                "customer_source_key": who.source_key,
                "channel": "mobile",
                "success": False,
                "failure_reason": "wrong_pin",
                "device_id": f"dev-{who.source_key}",
            },
        }
        for i in range(12)
    ]
    assert client.post("/v1/intake/channel-events", json={"events": burst}).status_code == 202
    deadline = time.monotonic() + 30
    while "L003" not in (body := _login(client, who))["fired_rules"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert body["outcome"] == "DENY" and "L003" in body["fired_rules"], body
    assert "LOGIN_MANY_FAILURES" in [r["code"] for r in body["reasons"]]


def test_services_mode_end_to_end(tmp_path, topic_prefix, pg_url):
    common = {
        "profile": "services",
        "run_dir": str(tmp_path),
        "database_url": pg_url,
        "topic_prefix": topic_prefix,
    }
    settings = PipelineSettings(**common, consumer_group_prefix=f"e2e-{uuid.uuid4().hex[:6]}")
    pipeline = bootstrap(settings)
    try:
        bank = simulate_bank(CUSTOMERS, SEED, datetime.now(UTC))
        bank.write_ground_truth(tmp_path / "truth.csv")
        pipeline.publisher.publish("customer.events", b'{"event_id": "broken"', key="bad")
        pipeline.publish(bank.events())
        pipeline.start()
        assert pipeline.wait_idle(quiet_s=2.0, timeout_s=300), "the processors did not catch up"

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = brain_env(**common)
        with running([*BRAIN, "serve", "--port", str(port)], env, tmp_path / "api.log", url):
            issuer = dev_token_issuer(ServiceSettings(profile="services", run_dir=tmp_path))
            token = issuer.mint(
                "e2e",
                ["customer:read", "decision:write", "decision:read", "intake:write"],
                timedelta(minutes=10),
            )
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10
            ) as client:
                decision_id = check_brain_through_the_api(
                    client, Truth.read(tmp_path / "truth.csv"), CUSTOMERS, SEED
                )
            # the API's relay publishes every logged decision to decision.events
            decisions = _read_topic(
                topic_prefix,
                "decision.events",
                lambda got: decision_id in {json.loads(r.value)["payload"]["decision_id"] for r in got},
            )
            assert decision_id in {json.loads(r.value)["payload"]["decision_id"] for r in decisions}
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10
            ) as client:
                _failed_login_burst_denies_the_next_login(client, bank.customers[0])

        # the bad record reaches the DLQ once, whichever of the three groups rejected it first;
        # the others are named in the dead-letter ledger
        dead_letters = _read_topic(topic_prefix, "customer.events.dlq", lambda got: False, rounds=8)
        [dead] = dead_letters
        assert dead.value == b'{"event_id": "broken"'
        assert b"invalid-event" in dict(dead.headers)["error"]
        with pipeline.engine.connect() as conn:
            rejected_by = conn.execute(select(dead_letter.c.processors)).scalar_one()
        assert sorted(rejected_by) == ["customer360", "features", "identity"]
    finally:
        pipeline.stop()

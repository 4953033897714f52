"""POST /v1/intake/channel-events in process (embedded: the in-process bus stands for Kafka)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap, dev_token_issuer
from bento_service.settings import ServiceSettings
from features import InMemoryFeatureStore
from kernel.errors import TransportError
from kernel.events import parse_event
from kernel.storage import create_db_engine, migrate

pytestmark = pytest.mark.unit

URL = "/v1/intake/channel-events"


def login(key: str = "S-1", channel: str = "mobile", **extra: object) -> dict[str, object]:
    return {
        "event_id": f"login-{key}-0001",
        "source_system": "mobile",
        "source_table": "sessions",
        "source_key": key,
        "occurred_at": "2026-11-25T10:00:00Z",
        "payload": {
            "customer_source_key": "C1",
            "channel": channel,
            "success": True,
            "device_id": "dev-1",
            "session_id": key,
        },
        **extra,
    }


def test_a_valid_batch_is_published_to_login_events(api) -> None:
    response = api.client.post(
        URL, json={"events": [login("S-1"), login("S-2", "ussd")]}, headers=api.token("intake:write")
    )
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2 and body["rejected"] == 0
    records = api.bus.records("login.events")
    assert [parse_event("login.events", r.value).event_id for r in records] == [
        "login-S-1-0001",
        "login-S-2-0001",
    ]
    assert [i["event_id"] for i in body["items"]] == ["login-S-1-0001", "login-S-2-0001"]
    assert records[0].key == b"mobile:C1" and ("connector", b"intake") in records[0].headers
    assert api.bus.records("login.events.dlq") == []


def test_invalid_items_are_reported_one_by_one_and_dead_lettered_while_valid_ones_go_through(api) -> None:
    items = [login("S-1"), login("S-2", channel="fax"), "not an event", login("S-4")]
    response = api.client.post(URL, json={"events": items}, headers=api.token("intake:write"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/invalid-channel-events") and problem["status"] == 422
    assert (problem["accepted"], problem["rejected"]) == (2, 2)
    assert [i["status"] for i in problem["items"]] == ["accepted", "rejected", "rejected", "accepted"]
    assert {tuple(e["loc"][:4]) for e in problem["errors"]} >= {("body", "events", 1, "payload")}
    assert {e["loc"][2] for e in problem["errors"]} == {1, 2}
    assert len(api.bus.records("login.events")) == 2
    dead = api.bus.records("login.events.dlq")
    assert [json.loads(r.value) for r in dead] == [items[1], items[2]]  # the original items, kept
    headers = dict(dead[0].headers)
    assert headers["dlq_kind"] == b"intake_item" and b"channel" in headers["error"]


def test_a_missing_event_id_is_derived_deterministically(api) -> None:
    item = login("S-9")
    del item["event_id"]
    ids = []
    for _ in range(2):
        response = api.client.post(URL, json={"events": [item]}, headers=api.token("intake:write"))
        assert response.status_code == 202
        ids.append(response.json()["items"][0]["event_id"])
    assert ids[0] == ids[1] and len(ids[0]) >= 8


def test_intake_needs_the_intake_write_scope(api) -> None:
    assert api.client.post(URL, json={"events": [login()]}).status_code == 401
    assert (
        api.client.post(URL, json={"events": [login()]}, headers=api.token("decision:write")).status_code
        == 403
    )
    assert api.bus.records("login.events") == []


@pytest.mark.parametrize("events", [[], [login()] * 501])
def test_empty_or_oversized_batches_are_refused(api, events) -> None:
    response = api.client.post(URL, json={"events": events}, headers=api.token("intake:write"))
    assert response.status_code == 422 and response.json()["errors"][0]["loc"][:2] == ["body", "events"]
    assert api.bus.records("login.events") == []


class DownPublisher:
    def publish(
        self, topic: str, value: bytes, key: str | None = None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        raise TransportError("Kafka unavailable; next connection attempt later")

    def flush(self, timeout_s: float = 30.0) -> None: ...

    def close(self) -> None: ...


def test_a_transport_failure_answers_503_so_the_client_retries(tmp_path) -> None:
    settings = ServiceSettings(run_dir=tmp_path, database_url="sqlite://", models_enabled=False)
    engine = create_db_engine("sqlite://")
    migrate(engine)
    deps = bootstrap(settings, engine=engine, features=InMemoryFeatureStore(), publisher=DownPublisher())
    token = dev_token_issuer(settings).mint("test", ["intake:write"], timedelta(minutes=5))
    with TestClient(build_app(deps)) as client:
        response = client.post(URL, json={"events": [login()]}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503 and response.json()["type"].endswith("/transport-unavailable")
    engine.dispose()

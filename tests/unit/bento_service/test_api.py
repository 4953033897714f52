import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bento_service.app import api_version, build_app
from bento_service.decision_log import verify_chain
from bento_service.outbox import decision_relay
from kernel.storage.schema import decision_outbox

pytestmark = pytest.mark.unit

REQUEST = {
    "source_system": "v5",
    "customer_source_key": "C1",
    "amount": "2500.00",
    "currency": "KES",
    "txn_type": "payment",
    "channel": "mpesa",
    "device_id": "dev-1",
}


def _decide(api, body=REQUEST, scopes=("decision:write",), **headers):
    return api.client.post("/v1/decisions/transaction", json=body, headers={**api.token(*scopes), **headers})


def _published(api, n: int) -> list:
    """The decision.events records once ``n`` are out and every outbox mark is cleared (the
    writer's publisher works on its own thread)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with api.engine.connect() as conn:
            marks = conn.execute(select(func.count()).select_from(decision_outbox)).scalar_one()
        records = api.bus.records("decision.events")
        if marks == 0 and len(records) >= n:
            return records
        time.sleep(0.01)
    raise AssertionError(f"{len(api.bus.records('decision.events'))} published, {marks} marks left")


def _sweep(api) -> int:
    """What the sweeper of leftovers publishes now (grace 0): 0 when the writer published all."""
    return decision_relay(api.engine, api.bus.publisher(), grace_s=0).run_once()


def test_customer_360_by_gcid_with_features(api):
    decision = _decide(api).json()
    response = api.client.get(f"/customer/{decision['gcid']}", headers=api.token("customer:read"))
    assert response.status_code == 200
    body = response.json()
    assert sorted(body["customer"]["source_records"]) == ["dfs:9", "v5:C1"]
    assert body["features"]["txn_count_24h"] == 4
    assert body["recent_transactions"][0]["transaction_key"] == "T1"


def test_decision_is_answered_logged_and_published(api):
    response = _decide(api)
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "APPROVE" and body["reasons"][0]["code"] == "OK"
    assert body["features"]["txn_count_24h"] == 4
    stored = api.client.get(f"/v1/decisions/{body['decision_id']}", headers=api.token("decision:read")).json()
    assert stored["decision"] == body  # the log returns exactly what was answered, hash included
    assert stored["request"]["amount"] == "2500.00" and stored["inputs"]["features"]["txn_count_24h"] == 4
    assert stored["seq"] == 1 and stored["prev_hash"] == "0" * 64
    [event] = _published(api, 1)  # by the log's writer, from memory
    assert _sweep(api) == 0  # its outbox mark was cleared: nothing left over
    assert json.loads(event.value)["payload"]["record_hash"] == body["record_hash"]
    assert verify_chain(api.engine).ok


def test_unknown_customer_is_reviewed(api):
    body = _decide(api, {**REQUEST, "customer_source_key": "NOPE"}).json()
    assert body["outcome"] == "REVIEW" and body["gcid"] is None
    assert [r["code"] for r in body["reasons"]] == ["UNKNOWN_CUSTOMER"]


def test_idempotent_retry_returns_the_first_decision(api):
    first = _decide(api, **{"Idempotency-Key": "retry-key-0001"}).json()
    again = _decide(api, **{"Idempotency-Key": "retry-key-0001"}).json()
    assert again["decision_id"] == first["decision_id"]
    assert len(_published(api, 1)) == 1 and _sweep(api) == 0
    assert len(api.bus.records("decision.events")) == 1
    conflict = _decide(api, {**REQUEST, "amount": "9.00"}, **{"Idempotency-Key": "retry-key-0001"})
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "method", "scopes", "status"),
    [
        ("/customer/GC0000000000000000", "get", (), 401),
        ("/customer/GC0000000000000000", "get", ("decision:write",), 403),
        ("/customer/GC0000000000000000", "get", ("customer:read",), 404),
        ("/customer/bad gcid!", "get", ("customer:read",), 422),
        ("/v1/decisions/transaction", "post", ("customer:read",), 403),
        ("/v1/decisions/00000000-0000", "get", ("decision:read",), 404),
    ],
)
def test_errors_are_problem_details(api, path, method, scopes, status):
    headers = api.token(*scopes) if scopes else {}
    response = api.client.request(method, path, headers=headers, json=REQUEST if method == "post" else None)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"currency": "kes"}, "currency"),
        ({"channel": "pigeon"}, "channel"),
        ({"customer_source_key": None, "source_system": None}, "gcid"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_requests_are_422_naming_the_field(api, change, field):
    response = _decide(api, {**REQUEST, **change})
    assert response.status_code == 422
    assert field in json.dumps(response.json()["errors"])


def test_unknown_gcid_given_by_the_caller_is_404(api):
    response = _decide(
        api, {"gcid": "GCNOTAREALGCID0000", **{k: v for k, v in REQUEST.items() if "source" not in k}}
    )
    assert response.status_code == 404


def test_login_and_credit_decisions(api):
    headers = api.token("decision:write")
    who = {"source_system": "v5", "customer_source_key": "C1"}
    known = api.client.post(
        "/v1/decisions/login", json={**who, "channel": "mobile", "device_id": "dev-1"}, headers=headers
    )
    assert known.status_code == 200 and known.json()["outcome"] == "ALLOW"
    new = api.client.post(
        "/v1/decisions/login", json={**who, "channel": "mobile", "device_id": "dev-9"}, headers=headers
    )
    assert new.json()["outcome"] == "STEP_UP" and new.json()["reasons"][0]["code"] == "LOGIN_NEW_DEVICE"
    loan = {**who, "product": "mobile_loan", "amount": "5000.00", "currency": "KES"}
    credit = api.client.post("/v1/decisions/credit", json=loan, headers=headers).json()
    assert credit["decision_type"] == "credit"
    # the test customer has no KYC tier: no automatic credit
    assert credit["outcome"] == "DECLINE" and credit["reasons"][0]["code"] == "CREDIT_KYC_INCOMPLETE"
    bad = api.client.post("/v1/decisions/credit", json={**loan, "product": "yacht"}, headers=headers)
    assert bad.status_code == 422


def test_the_mounted_floor_exists_only_in_the_bench_configuration(api):
    assert api.client.post("/v1/noop/mounted").status_code == 404  # the production app has none
    with TestClient(build_app(api.deps, bench_routes=True)) as bench:
        response = bench.post("/v1/noop/mounted")
        assert (response.status_code, response.json()) == (200, {"ok": True})
        assert "/v1/noop/mounted" not in bench.get("/docs.json").json()["paths"]


def test_one_openapi_document_with_the_projects_identity_and_versioned_paths(api):
    doc = api.client.get("/docs.json").json()
    assert doc["info"]["title"] == "Wekeza Enterprise Brain"
    assert doc["info"]["version"] == api_version() != "None"
    assert "BentoML" not in json.dumps(doc["info"])
    paths = set(doc["paths"])
    assert {
        "/v1/customer/{gcid}",
        "/v1/customers",
        "/v1/identity/{gcid}",
        "/v1/decisions/transaction",
    } <= paths
    assert {"/healthz", "/metrics"} <= paths  # BentoML's, served beside the app
    assert not [
        p
        for p in paths
        if not p.startswith("/v1/") and p not in {"/healthz", "/livez", "/readyz", "/metrics"}
    ]
    assert api.client.get("/openapi.json").status_code == 404  # no second document
    assert api.client.get("/docs").status_code == 200


def test_the_first_unversioned_customer_paths_still_answer_the_same(api):
    gcid = _decide(api).json()["gcid"]
    headers = api.token("customer:read")
    old = api.client.get(f"/customer/{gcid}", headers=headers)
    new = api.client.get(f"/v1/customer/{gcid}", headers=headers)
    assert old.status_code == new.status_code == 200
    assert old.json()["customer"] == new.json()["customer"]

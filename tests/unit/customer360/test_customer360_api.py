"""Contract of the Customer 360 routes: shapes, filters, pagination, scopes, masking, problems."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap, dev_token_issuer
from bento_service.settings import ServiceSettings
from features import InMemoryFeatureStore
from kernel.events import BrainEvent
from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from pipelines.processors import Customer360Handler
from tests.factories import account, customer, hours
from tests.unit.customer360.c360_world import assign, assigned, fraud, login, merge, merged, risk, txn

pytestmark = pytest.mark.unit

G1, G2 = "GC00000000000000A1", "GC00000000000000B2"
PROBLEM = "application/problem+json"


class Api:
    def __init__(self, client: TestClient, settings: ServiceSettings):
        self.client, self.settings = client, settings

    def get(self, path: str, *scopes: str, **params):
        headers = {}
        if scopes:
            token = dev_token_issuer(self.settings).mint("test", scopes, timedelta(minutes=5))
            headers = {"Authorization": f"Bearer {token}"}
        return self.client.get(path, headers=headers, params=params)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("c360api")
    settings = ServiceSettings(run_dir=tmp, database_url="sqlite://")
    engine = create_db_engine("sqlite://")
    migrate(engine)
    assign(engine, G1, ("v5", "C1"))
    assign(engine, G2, ("dfs", "9"))
    t0 = customer().occurred_at
    events: list[BrainEvent] = [
        customer("v5", "C1", segment="retail", address="Kilimani Rd 4", city="Nairobi"),
        customer("dfs", "9", national_id=None, phones=("+254700000009",)),
        account("v5", "A1", "C1", balance="250.00"),
        account("dfs", "W9", "9", balance="40.00"),
        *[
            txn(f"T{i:02d}", at=t0 + hours(i), amount=f"{100 * i}.00", counterparty="+254711000111")
            for i in range(1, 8)
        ],
        txn("TC", "9", system="dfs", at=t0 + hours(9), channel="card", txn_type="bill", account="W9"),
        login("L1"),
        fraud("F1", severity="critical"),
        risk(score_type="aml", rating="high"),
        assigned(G1, "v5", "C1"),
        assigned(G2, "dfs", "9"),
    ]
    handler = Customer360Handler(engine, batched=True)
    for e in events:
        handler.handle(e)
    handler.flush()
    merge(engine, G1, G2)
    handler.handle(merged(G1, G2))
    handler.flush()
    bus = InProcessBus()
    deps = bootstrap(settings, engine=engine, features=InMemoryFeatureStore(), publisher=bus.publisher())
    with TestClient(build_app(deps)) as client:
        yield Api(client, settings)
    engine.dispose()


def test_customer_360_has_golden_record_accounts_risk_and_freshness(api):
    r = api.get(f"/customer/{G1}", "customer:read", "pii:read")
    assert r.status_code == 200, r.text
    body = r.json()
    c = body["customer"]
    assert c["gcid"] == G1 and c["merged_from"] is None and c["pii_masked"] is False
    assert c["national_id"] == "12345678" and c["date_of_birth"] == "1990-04-12"
    assert c["address"] == "Kilimani Rd 4, Nairobi"
    assert sorted(c["source_records"]) == ["dfs:9", "v5:C1"]
    assert body["account_summary"]["count"] == 2
    assert body["account_summary"]["balances"] == [
        {"currency": "KES", "balance": "290.00", "available_balance": "290.00"}
    ]
    assert body["risk"]["level"] in {"medium", "high", "very_high"} and body["risk"]["open_alerts"] == 1
    assert body["recent_transactions"][0]["transaction_key"] == "TC"
    assert body["freshness"]["latest_transaction_at"] is not None
    assert {ch["channel"] for ch in body["channels"]} >= {"mobile", "mpesa", "card"}


def test_pii_is_masked_without_pii_read(api):
    body = api.get(f"/customer/{G1}", "customer:read").json()
    c = body["customer"]
    assert c["pii_masked"] is True
    assert c["national_id"] == "*****678" and c["date_of_birth"] is None and c["address"] is None
    assert all("*" in p for p in c["phones"]) and all(e.startswith("g***@") for e in c["emails"])
    assert c["full_name"] == "Grace Wanjiru"
    assert all("*" in t["counterparty"] for t in body["recent_transactions"] if t["counterparty"])


def test_a_merged_gcid_answers_with_the_survivor(api):
    for path, scope in [("", "customer:read"), ("/accounts", "customer:read"), ("/risk", "risk:read")]:
        body = api.get(f"/customer/{G2}{path}", scope).json()
        got = body["customer"] if path == "" else body
        assert (got["gcid"], got["merged_from"]) == (G1, G2), path


def test_accounts(api):
    body = api.get(f"/customer/{G1}/accounts", "customer:read").json()
    assert [a["account_key"] for a in body["items"]] == ["W9", "A1"]
    assert body["summary"]["by_source"] == {"dfs": 1, "v5": 1}


def test_transactions_paginate_with_a_cursor_and_filter(api):
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = api.get(f"/customer/{G1}/transactions", "transaction:read", **params).json()
        seen += [t["transaction_key"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["TC", "T07", "T06", "T05", "T04", "T03", "T02", "T01"]
    t0 = customer().occurred_at
    filtered = api.get(
        f"/customer/{G1}/transactions",
        "transaction:read",
        channel="mpesa",
        min_amount="200",
        max_amount="400.00",
        since=(t0 + hours(1)).isoformat(),
        until=(t0 + hours(8)).isoformat(),
    ).json()
    assert [t["transaction_key"] for t in filtered["items"]] == ["T04", "T03", "T02"]
    by_type = api.get(f"/customer/{G1}/transactions", "transaction:read", type="bill", account="W9").json()
    assert [t["transaction_key"] for t in by_type["items"]] == ["TC"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1000},
        {"type": "teleport"},
        {"channel": "pigeon"},
        {"min_amount": "-1"},
        {"min_amount": "abc"},
        {"min_amount": "500", "max_amount": "100"},
        {"since": "yesterday"},
        {"since": "2026-11-20T12:00:00Z", "until": "2026-11-20T11:00:00Z"},
        {"since": "2026-11-20T12:00:00"},
        {"cursor": "not-a-cursor"},
        {"currency": "kes"},
    ],
)
def test_bad_filters_are_422_problems(api, params):
    r = api.get(f"/customer/{G1}/transactions", "transaction:read", **params)
    assert r.status_code == 422, (params, r.text)
    assert r.headers["content-type"] == PROBLEM


def test_risk_and_devices(api):
    risk_body = api.get(f"/customer/{G1}/risk", "risk:read").json()
    assert set(risk_body["components"]) == {"fraud", "aml"} and 0 <= risk_body["score"] <= 100
    assert risk_body["components"]["fraud"]["value"] == 80
    devices = api.get(f"/customer/{G1}/devices", "customer:read").json()
    assert [d["device_id"] for d in devices["items"]] == ["dev-1"] and devices["items"][0]["last_ip"] is None
    with_pii = api.get(f"/customer/{G1}/devices", "customer:read", "pii:read").json()
    assert with_pii["items"][0]["last_ip"] == "10.0.0.7"


def test_lookup_by_identifier(api):
    by_phone = api.get("/customers", "customer:read", "pii:read", phone="+254700000009").json()
    assert [m["gcid"] for m in by_phone["items"]] == [G1] and by_phone["matched_on"] == "phone"
    by_key = api.get("/customers", "customer:read", source_key="C1").json()
    assert [m["gcid"] for m in by_key["items"]] == [G1]
    by_email = api.get("/customers", "customer:read", "pii:read", email="Grace.Wanjiru@gmail.com").json()
    assert [m["gcid"] for m in by_email["items"]] == [G1]
    assert api.get("/customers", "customer:read", "pii:read", national_id="99999999").json()["items"] == []


@pytest.mark.parametrize(
    ("path", "scopes", "params", "status"),
    [
        (f"/customer/{G1}", (), {}, 401),
        (f"/customer/{G1}", ("decision:write",), {}, 403),
        (f"/customer/{G1}/accounts", ("transaction:read",), {}, 403),
        (f"/customer/{G1}/transactions", ("customer:read",), {}, 403),
        (f"/customer/{G1}/risk", ("customer:read",), {}, 403),
        (f"/customer/{G1}/devices", ("risk:read",), {}, 403),
        ("/customers", ("customer:read",), {"phone": "+254700000009"}, 403),
        ("/customers", ("risk:read",), {"source_key": "C1"}, 403),
        ("/customer/GCNOSUCHCUSTOMER00", ("customer:read",), {}, 404),
        ("/customer/GCNOSUCHCUSTOMER00/accounts", ("customer:read",), {}, 404),
        ("/customer/GCNOSUCHCUSTOMER00/transactions", ("transaction:read",), {}, 404),
        ("/customer/GCNOSUCHCUSTOMER00/risk", ("risk:read",), {}, 404),
        ("/customer/GCNOSUCHCUSTOMER00/devices", ("customer:read",), {}, 404),
        ("/customer/bad gcid!", ("customer:read",), {}, 422),
        ("/customer/x/accounts", ("customer:read",), {}, 422),
        ("/customer/" + "G" * 41 + "/risk", ("risk:read",), {}, 422),
        ("/customers", ("customer:read",), {}, 422),
        ("/customers", ("customer:read", "pii:read"), {"phone": "0712345678"}, 422),
        ("/customers", ("customer:read",), {"source_key": "C1", "email": "a@b.co"}, 422),
    ],
)
def test_errors_are_problem_details(api, path, scopes, params, status):
    r = api.get(path, *scopes, **params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM


def test_openapi_documents_every_route_with_examples(api):
    spec = api.client.get("/docs.json").json()
    for path in [
        "/v1/customer/{gcid}",
        "/v1/customer/{gcid}/accounts",
        "/v1/customer/{gcid}/transactions",
        "/v1/customer/{gcid}/risk",
        "/v1/customer/{gcid}/devices",
        "/v1/customers",
    ]:
        op = spec["paths"][path]["get"]
        assert "404" in op["responses"] or path == "/v1/customers", path
        assert any("examples" in p.get("schema", {}) or "examples" in p for p in op["parameters"]), path

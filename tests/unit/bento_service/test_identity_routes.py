"""``/identity`` operator APIs, in process, on the embedded store (the ``api`` fixture)."""

from __future__ import annotations

import pytest

from identity import load_default_settings
from kernel.transport import InProcessBus
from pipelines.processors import IdentityHandler
from tests.factories import customer

pytestmark = pytest.mark.unit

READ, WRITE = "identity:read", "identity:write"


def _gcid_of(api, system: str, key: str) -> str:
    r = api.client.get(
        "/identity/lookup", params={"source_system": system, "source_key": key}, headers=api.token(READ)
    )
    assert r.status_code == 200, r.text
    (gcid,) = r.json()["gcids"]
    return gcid


def _add_peter(api) -> str:
    IdentityHandler(api.engine, InProcessBus().publisher()).handle(
        customer("crm", "P1", first_name="Peter", national_id=None, emails=(), date_of_birth=None)
    )
    return _gcid_of(api, "crm", "P1")


def test_read_needs_the_identity_scope(api) -> None:
    gcid = _gcid_of(api, "v5", "C1")
    assert api.client.get(f"/identity/{gcid}").status_code == 401
    r = api.client.get(f"/identity/{gcid}", headers=api.token("customer:read"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


def test_gcid_view_lists_members_golden_attributes_and_history(api) -> None:
    gcid = _gcid_of(api, "v5", "C1")
    assert _gcid_of(api, "dfs", "9") == gcid
    body = api.client.get(f"/identity/{gcid}", headers=api.token(READ)).json()
    assert {(r["source_system"], r["source_key"]) for r in body["records"]} == {("v5", "C1"), ("dfs", "9")}
    assert body["golden"]["first_name"] == "Grace" and body["golden"]["national_id"] == "12345678"
    assert [h["kind"] for h in body["history"]] == ["assign", "assign"]
    assert api.client.get("/identity/GCNOPE0000", headers=api.token(READ)).status_code == 404


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"national_id": "12345678"}, 200),
        ({"phone": "0712 345 678"}, 200),
        ({"email": "Grace.Wanjiru@gmail.com"}, 200),
        ({"phone": "x", "email": "a@b.c"}, 400),
        ({"source_system": "v5"}, 400),
    ],
)
def test_lookup_by_identifier(api, params, status) -> None:
    r = api.client.get("/identity/lookup", params=params, headers=api.token(READ))
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["gcids"] == [_gcid_of(api, "v5", "C1")]


def test_explain_shows_why_a_household_member_is_not_linked(api) -> None:
    grace, peter = _gcid_of(api, "v5", "C1"), _add_peter(api)
    assert grace != peter
    body = api.client.get(
        f"/identity/{grace}/explain", params={"with": peter}, headers=api.token(READ)
    ).json()
    assert body["pairs"] and not any(p["is_match"] for p in body["pairs"])
    levels = {e["comparison"]: e["level"] for e in body["pairs"][0]["evidence"]}
    weights = {e["comparison"]: e["weight"] for e in body["pairs"][0]["evidence"]}
    assert levels["phone"] == "exact" and weights["phone"] > 0  # the shared phone is evidence...
    assert levels["first_name"] == "else" and weights["first_name"] < 0  # ...outweighed
    assert body["matcher"] == load_default_settings().settings_version  # the shipped F-S settings


def test_merge_then_split_with_reasons_and_lineage(api) -> None:
    grace, peter = _gcid_of(api, "v5", "C1"), _add_peter(api)
    body = {"gcids": [peter, grace], "reason": "same person per branch KYC"}
    assert api.client.post("/identity/merge", json=body, headers=api.token(READ)).status_code == 403
    assert (
        api.client.post(
            "/identity/merge", json={"gcids": [peter, grace]}, headers=api.token(WRITE)
        ).status_code
        == 422
    )
    r = api.client.post("/identity/merge", json=body, headers=api.token(WRITE))
    assert r.status_code == 200, r.text
    assert (r.json()["gcid"], r.json()["other_gcid"]) == (grace, peter)  # the older survives
    alias = api.client.get(f"/identity/{peter}", headers=api.token(READ)).json()
    assert alias["gcid"] == grace and alias["merged"] is True
    assert alias["history"][-1]["decided_by"].startswith("operator:")
    split = {
        "gcid": peter,
        "records": [{"source_system": "crm", "source_key": "P1"}],
        "reason": "household, not one person",
    }
    r = api.client.post("/identity/split", json=split, headers=api.token(WRITE))
    assert r.status_code == 200, r.text
    new = r.json()["other_gcid"]
    assert new not in (grace, peter)
    assert _gcid_of(api, "crm", "P1") == new
    assert _gcid_of(api, "v5", "C1") == grace
    bad = {**split, "gcid": grace, "records": [{"source_system": "crm", "source_key": "P1"}]}
    r = api.client.post("/identity/split", json=bad, headers=api.token(WRITE))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


def test_operator_merges_and_splits_are_published_to_identity_events(api) -> None:
    from kernel.events import GcidMerged, GcidSplit, parse_event

    grace, peter = _gcid_of(api, "v5", "C1"), _add_peter(api)
    before = len(api.bus.records("identity.events"))
    body = {"gcids": [peter, grace], "reason": "same person per branch KYC"}
    assert api.client.post("/identity/merge", json=body, headers=api.token(WRITE)).status_code == 200
    split = {"gcid": grace, "records": [{"source_system": "crm", "source_key": "P1"}], "reason": "household"}
    assert api.client.post("/identity/split", json=split, headers=api.token(WRITE)).status_code == 200
    operator_relay = next(r for r in api.deps.relays if r.name == "identity.events:operator")
    assert operator_relay.run_once() == 2 and operator_relay.run_once() == 0
    published = [parse_event("identity.events", r.value) for r in api.bus.records("identity.events")[before:]]
    assert [type(e) for e in published] == [GcidMerged, GcidSplit]
    assert all(
        isinstance(e, GcidMerged | GcidSplit) and e.payload.decided_by.startswith("operator:")
        for e in published
    )

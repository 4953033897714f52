"""The assertions both e2e tests make through the HTTP API."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.e2e.conftest import Truth, pick_person_with_recent_activity, resimulate


def decide(client: httpx.Client, system: str, key: str) -> dict:
    response = client.post(
        "/v1/decisions/transaction",
        json={
            "source_system": system,
            "customer_source_key": key,
            "amount": "2500.00",
            "currency": "KES",
            "txn_type": "payment",
            "channel": "mpesa",
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def check_brain_through_the_api(client: httpx.Client, truth: Truth, customers: int, seed: int) -> str:
    """Duplicates share one GCID, households do not, the 360 and the 24 h feature are right,
    a decision is answered and retrievable from the log. Returns the decision id."""
    bank = resimulate(customers, seed)
    person, (count, total, _) = pick_person_with_recent_activity(truth, bank)
    (sys_a, key_a), (sys_b, key_b) = truth.records[person][:2]

    first, second = decide(client, sys_a, key_a), decide(client, sys_b, key_b)
    assert first["gcid"] is not None and first["gcid"] == second["gcid"], (
        "a duplicated customer must get one GCID"
    )
    assert first["outcome"] in {"APPROVE", "REVIEW", "STEP_UP", "DECLINE"} and first["reasons"]

    view = client.get(f"/customer/{first['gcid']}")
    assert view.status_code == 200, view.text
    body = view.json()
    assert {f"{sys_a}:{key_a}", f"{sys_b}:{key_b}"} <= set(body["customer"]["source_records"])
    assert body["features"]["txn_count_24h"] == count, (body["features"], count, total)
    assert Decimal(str(body["features"]["txn_amount_sum_24h"])) == total
    assert first["features"]["txn_count_24h"] == count

    for a, b in truth.household_pairs()[:5]:
        ga = decide(client, *truth.records[a][0])["gcid"]
        gb = decide(client, *truth.records[b][0])["gcid"]
        assert ga != gb, f"household members {a} and {b} were merged"

    logged = client.get(f"/v1/decisions/{first['decision_id']}")
    assert logged.status_code == 200 and logged.json()["decision"]["decision_id"] == first["decision_id"]
    assert logged.json()["record_hash"] == first["record_hash"]
    assert client.get("/customer/GCNOSUCHCUSTOMER00").status_code == 404
    return str(first["decision_id"])

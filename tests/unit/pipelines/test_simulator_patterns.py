"""The simulated bank's fraud patterns: account takeover, mule fan-out, card testing."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from pipelines.simulator import simulate_bank

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bank():
    return simulate_bank(120, 5, NOW, fraud_share=0.05, mule_share=0.02, card_testing_share=0.03)


def test_mule_and_card_testing_leave_the_rest_of_the_bank_unchanged(bank) -> None:
    plain = simulate_bank(120, 5, NOW, fraud_share=0.05)
    patterns = {t.event_id for t in bank.transactions if t.source_key[:3] in ("TXM", "TXC")}
    assert patterns
    assert {t.event_id for t in bank.transactions} - patterns == {t.event_id for t in plain.transactions}
    assert patterns <= bank.behaviour.fraud_transactions


def test_a_mule_collects_from_many_customers_then_pays_out_to_mpesa_within_the_hour(bank) -> None:
    mules = [t for t in bank.transactions if t.source_key.startswith("TXM")]
    credits = defaultdict(set)
    for t in mules:
        if t.payload.direction == "credit":
            credits[t.payload.account_source_key].add(t.payload.counterparty)
    account, senders = max(credits.items(), key=lambda kv: len(kv[1]))
    assert len(senders) >= 5
    outs = [t for t in mules if t.payload.account_source_key == account and t.payload.direction == "debit"]
    assert outs and all(t.payload.channel == "mpesa" for t in outs)
    total_in = sum(t.payload.amount for t in mules if t.payload.account_source_key == account
                   and t.payload.direction == "credit")  # fmt: skip
    assert sum(t.payload.amount for t in outs) == total_in
    first_in = min(t.occurred_at for t in mules if t.payload.account_source_key == account)
    assert max(t.occurred_at for t in outs) - first_in < timedelta(hours=2)


def test_card_testing_is_many_tiny_mostly_failed_payments_then_a_big_one(bank) -> None:
    by_card = defaultdict(list)
    for t in bank.transactions:
        if t.source_key.startswith("TXC"):
            by_card[t.payload.card_hash].append(t)
    assert by_card
    for txns in by_card.values():
        txns.sort(key=lambda t: t.occurred_at)
        *tiny, big = txns
        assert len(tiny) >= 8 and all(t.payload.amount < 100 for t in tiny)
        assert len({t.payload.counterparty for t in tiny}) > 1
        assert sum(t.payload.status == "failed" for t in tiny) >= 1
        assert big.payload.amount >= 40_000 and big.payload.status == "posted"
        assert big.occurred_at - tiny[0].occurred_at <= timedelta(minutes=10)
    kinds = {a.payload.alert_type for a in bank.behaviour.alerts if a.payload.status == "confirmed"}
    assert {"account_takeover", "mule_fan_out", "card_testing"} <= kinds

"""The bundled rule sets, table-driven: every rule and every reason code reachable."""

from decimal import Decimal
from typing import Any

import pytest

from models.decisioning import REASON_TEXT, DecisionType, bundled_rule_set, evaluate

pytestmark = pytest.mark.unit

TXN = bundled_rule_set(DecisionType.TRANSACTION)
LOGIN = bundled_rule_set(DecisionType.LOGIN)
CREDIT = bundled_rule_set(DecisionType.CREDIT)


def txn(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "amount": Decimal("2500"),
        "currency": "KES",
        "channel": "mpesa",
        "txn_type": "payment",
        "gcid": "GC1",
        "features.txn_count_24h": 3,
        "features.txn_amount_sum_24h": 10_000.0,
    }
    return {**base, **{k.replace("__", "."): v for k, v in kw.items()}}


def login(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"channel": "mobile", "gcid": "GC1", "device_id": "d1", "device.known": True}
    return {**base, **{k.replace("__", "."): v for k, v in kw.items()}}


def credit(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "amount": Decimal("5000"),
        "currency": "KES",
        "product": "mobile_loan",
        "gcid": "GC1",
        "customer.kyc_tier": 2,
        "score.credit": 0.7,
    }
    return {**base, **{k.replace("__", "."): v for k, v in kw.items()}}


CASES = [
    pytest.param(TXN, txn(), "APPROVE", ("OK",), id="txn-ordinary"),
    pytest.param(
        TXN, txn(gcid=None, features__txn_count_24h=None), "REVIEW", ("UNKNOWN_CUSTOMER",), id="txn-unknown"
    ),
    pytest.param(TXN, txn(customer__sanctioned=True), "DECLINE", ("SANCTIONED",), id="txn-sanctioned"),
    pytest.param(
        TXN, txn(amount=Decimal("1000000")), "DECLINE", ("AMOUNT_VERY_HIGH",), id="txn-very-high-edge"
    ),
    pytest.param(TXN, txn(amount=Decimal("999999.99")), "REVIEW", ("AMOUNT_HIGH",), id="txn-high-below-edge"),
    pytest.param(TXN, txn(amount=Decimal("149999.99")), "APPROVE", ("OK",), id="txn-below-review-edge"),
    pytest.param(
        TXN, txn(features__txn_count_24h=20), "REVIEW", ("VELOCITY_COUNT_24H",), id="txn-count-edge"
    ),
    pytest.param(TXN, txn(features__txn_count_24h=19), "APPROVE", ("OK",), id="txn-count-below-edge"),
    pytest.param(
        TXN,
        txn(features__txn_amount_sum_24h=1_400_000.0, amount=Decimal("100001")),
        "DECLINE",
        ("VELOCITY_SUM_24H",),
        id="txn-daily-sum",
    ),
    pytest.param(
        TXN,
        txn(device_id="new", device__known=False, amount=Decimal("50000")),
        "STEP_UP",
        ("NEW_DEVICE_HIGH_AMOUNT",),
        id="txn-new-device",
    ),
    pytest.param(
        TXN,
        txn(device_id="old", device__known=True, amount=Decimal("50000")),
        "APPROVE",
        ("OK",),
        id="txn-known-device",
    ),
    pytest.param(
        TXN,
        txn(features__txn_count_24h=None, features__txn_amount_sum_24h=None),
        "APPROVE",
        ("FEATURES_MISSING",),
        id="txn-no-features",
    ),
    pytest.param(TXN, txn(score__fraud=0.95), "DECLINE", ("MODEL_HIGH_RISK",), id="txn-model-high"),
    pytest.param(TXN, txn(score__fraud=0.6), "REVIEW", ("MODEL_ELEVATED_RISK",), id="txn-model-elevated"),
    pytest.param(TXN, txn(score__fraud=0.59), "APPROVE", ("OK",), id="txn-model-low"),
    pytest.param(
        TXN,
        txn(degraded=True, amount=Decimal("50000")),
        "REVIEW",
        ("DEGRADED_CAUTION",),
        id="txn-degraded-large",
    ),
    pytest.param(TXN, txn(degraded=True), "APPROVE", ("OK",), id="txn-degraded-small"),
    pytest.param(
        TXN,
        txn(customer__sanctioned=True, amount=Decimal("200000")),
        "DECLINE",
        ("SANCTIONED", "AMOUNT_HIGH"),
        id="txn-strictest-wins-all-reasons-kept",
    ),
    pytest.param(LOGIN, login(), "ALLOW", ("OK",), id="login-ordinary"),
    pytest.param(LOGIN, login(gcid=None), "DENY", ("LOGIN_UNKNOWN_CUSTOMER",), id="login-unknown"),
    pytest.param(LOGIN, login(device__known=False), "STEP_UP", ("LOGIN_NEW_DEVICE",), id="login-new-device"),
    pytest.param(
        LOGIN, login(features__failed_logins_1h=3), "STEP_UP", ("LOGIN_MANY_FAILURES",), id="login-3-fails"
    ),
    pytest.param(
        LOGIN, login(features__failed_logins_1h=10), "DENY", ("LOGIN_MANY_FAILURES",), id="login-10-fails"
    ),
    pytest.param(LOGIN, login(customer__sanctioned=True), "DENY", ("SANCTIONED",), id="login-sanctioned"),
    pytest.param(LOGIN, login(degraded=True), "STEP_UP", ("DEGRADED_CAUTION",), id="login-degraded"),
    pytest.param(CREDIT, credit(), "APPROVE", ("CREDIT_PREAPPROVED",), id="credit-ok"),
    pytest.param(CREDIT, credit(gcid=None), "DECLINE", ("UNKNOWN_CUSTOMER",), id="credit-unknown"),
    pytest.param(
        CREDIT, credit(customer__kyc_tier=0), "DECLINE", ("CREDIT_KYC_INCOMPLETE",), id="credit-kyc"
    ),
    pytest.param(CREDIT, credit(score__credit=0.2), "DECLINE", ("CREDIT_SCORE_LOW",), id="credit-score-low"),
    pytest.param(
        CREDIT,
        credit(amount=Decimal("150000")),
        "REVIEW",
        ("CREDIT_AMOUNT_ABOVE_LIMIT",),
        id="credit-above-limit",
    ),
    pytest.param(CREDIT, credit(customer__pep=True), "REVIEW", ("PEP_REVIEW",), id="credit-pep"),
    pytest.param(
        CREDIT, credit(customer__sanctioned=True), "DECLINE", ("SANCTIONED",), id="credit-sanctioned"
    ),
    pytest.param(CREDIT, credit(degraded=True), "REVIEW", ("DEGRADED_CAUTION",), id="credit-degraded"),
]


@pytest.mark.parametrize(("rule_set", "context", "outcome", "codes"), CASES)
def test_bundled_rules(rule_set, context, outcome, codes):
    result = evaluate(rule_set, context)
    assert result.outcome == outcome
    assert result.reason_codes == codes


@pytest.mark.parametrize(
    ("tier", "score", "limit"),
    [(3, 0.85, 500_000), (3, 0.7, 100_000), (2, 0.6, 100_000), (2, 0.5, 10_000), (1, 0.99, 10_000)],
)
def test_credit_limit_tiers(tier, score, limit):
    assert evaluate(CREDIT, credit(customer__kyc_tier=tier, score__credit=score)).limit == limit


def test_every_reason_code_is_reachable_and_every_rule_fires_somewhere():
    results = [evaluate(c.values[0], c.values[1]) for c in CASES]  # type: ignore[arg-type]
    assert {code for r in results for code in r.reason_codes} == set(REASON_TEXT)
    fired = {rule for r in results for rule in r.fired_rules}
    assert fired == {rule.rule_id for rs in (TXN, LOGIN, CREDIT) for rule in rs.rules}

from decimal import Decimal

import pytest

from models.decisioning import DEFAULT_TRANSACTION_RULES, REASON_TEXT, DecisionInputs, Outcome, decide

pytestmark = pytest.mark.unit


def inputs(**kw) -> DecisionInputs:
    base = {
        "amount": Decimal("2500"),
        "currency": "KES",
        "channel": "mpesa",
        "txn_type": "payment",
        "gcid": "GC1",
        "txn_count_24h": 3,
        "txn_amount_sum_24h": 10_000.0,
    }
    base.update(kw)
    return DecisionInputs(**base)  # type: ignore[arg-type]


# (inputs, outcome, reason codes)
CASES = [
    pytest.param(inputs(), Outcome.APPROVE, ("OK",), id="ordinary"),
    pytest.param(inputs(gcid=None, txn_count_24h=None), Outcome.REVIEW, ("UNKNOWN_CUSTOMER",), id="unknown"),
    pytest.param(inputs(sanctioned=True), Outcome.DECLINE, ("SANCTIONED",), id="sanctioned"),
    pytest.param(
        inputs(amount=Decimal("1000000")), Outcome.DECLINE, ("AMOUNT_VERY_HIGH",), id="very-high-edge"
    ),
    pytest.param(inputs(amount=Decimal("999999.99")), Outcome.REVIEW, ("AMOUNT_HIGH",), id="high-below-edge"),
    pytest.param(inputs(amount=Decimal("149999.99")), Outcome.APPROVE, ("OK",), id="below-review-edge"),
    pytest.param(inputs(txn_count_24h=20), Outcome.REVIEW, ("VELOCITY_COUNT_24H",), id="count-edge"),
    pytest.param(inputs(txn_count_24h=19), Outcome.APPROVE, ("OK",), id="count-below-edge"),
    pytest.param(
        inputs(txn_amount_sum_24h=1_400_000.0, amount=Decimal("100001")),
        Outcome.DECLINE,
        ("VELOCITY_SUM_24H",),
        id="daily-sum",
    ),
    pytest.param(
        inputs(device_id="new", known_devices=frozenset({"old"}), amount=Decimal("50000")),
        Outcome.STEP_UP,
        ("NEW_DEVICE_HIGH_AMOUNT",),
        id="new-device",
    ),
    pytest.param(
        inputs(device_id="old", known_devices=frozenset({"old"}), amount=Decimal("50000")),
        Outcome.APPROVE,
        ("OK",),
        id="known-device",
    ),
    pytest.param(
        inputs(txn_count_24h=None, txn_amount_sum_24h=None),
        Outcome.APPROVE,
        ("FEATURES_MISSING",),
        id="no-features",
    ),
    pytest.param(
        inputs(sanctioned=True, amount=Decimal("200000")),
        Outcome.DECLINE,
        ("SANCTIONED", "AMOUNT_HIGH"),
        id="strictest-wins-all-reasons-kept",
    ),
]


@pytest.mark.parametrize(("given", "outcome", "codes"), CASES)
def test_policy(given, outcome, codes):
    result = decide(given)
    assert result.outcome is outcome
    assert result.reason_codes == codes
    assert result.rule_set_version == DEFAULT_TRANSACTION_RULES.version


def test_every_reason_code_is_reachable_and_documented():
    reached = {code for case in CASES for code in case.values[2]}  # type: ignore[union-attr]
    assert reached == set(REASON_TEXT)
    assert {r.reason_code for r in DEFAULT_TRANSACTION_RULES.rules} | {"OK"} == set(REASON_TEXT)

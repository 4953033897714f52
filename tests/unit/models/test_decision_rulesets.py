"""The rule language and rule-set validation: safe, exact, every error reported at once."""

from decimal import Decimal

import pytest

from models.decisioning import (
    FIELDS,
    DecisionType,
    ExpressionError,
    RuleSetInvalid,
    compile_expression,
    parse_rule_set,
)

pytestmark = pytest.mark.unit

KNOWN = frozenset({"amount", "features.n", "channel", "flag"})


@pytest.mark.parametrize(
    ("expression", "context", "holds"),
    [
        ("amount >= 150000", {"amount": Decimal("150000")}, True),
        ("amount >= 150000", {"amount": Decimal("149999.99")}, False),
        ("amount >= 0.3", {"amount": 0.30000000000000004}, True),
        ("100 <= amount < 200", {"amount": 150}, True),
        ("100 <= amount < 200", {"amount": 200}, False),
        ("channel in ['mpesa', 'ussd']", {"channel": "ussd"}, True),
        ("channel not in ('mpesa',)", {"channel": "card"}, True),
        ("features.n + amount > 10", {"features.n": 5, "amount": 6}, True),
        ("features.n > 3", {"features.n": None}, False),
        ("not (features.n > 3)", {"features.n": None}, True),
        ("features.n is null", {"features.n": None}, True),
        ("features.n is not None", {"features.n": 0}, True),
        ("flag == true and amount > 1 or channel == 'x'", {"flag": True, "amount": 2, "channel": "y"}, True),
        ("amount / 0 > 1", {"amount": 5}, False),
        ("-amount < 0", {"amount": 5}, True),
        ("channel > 5", {"channel": "mpesa"}, False),
    ],
)
def test_expressions(expression, context, holds):
    assert compile_expression(expression, KNOWN).holds(context) is holds


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('x')", "function calls are not allowed"),
        ("amount.__class__", "unknown field 'amount.__class__'"),
        ("[x for x in amount]", "not allowed"),
        ("lambda: 1", "not allowed"),
        ("amount ** 2 > 1", "only + - * /"),
        ("unknown > 1", "unknown field 'unknown'"),
        ("amount >", "syntax error"),
        ("amount if flag else 1", "not allowed"),
    ],
)
def test_unsafe_or_wrong_expressions_are_refused(expression, message):
    with pytest.raises(ExpressionError) as info:
        compile_expression(expression, KNOWN)
    assert message in str(info.value)


def test_every_error_of_a_rule_set_is_reported_at_once():
    data = {
        "decision_type": "transaction",
        "version": "",
        "surprise": 1,
        "limits": [{"when": "true", "limit": 5}],
        "rules": [
            {"id": "A", "reason": "NOT_A_CODE", "outcome": "APPROVE", "when": "amount > 1"},
            {"id": "A", "reason": "OK", "outcome": "ALLOW", "when": "amount > 1"},
            {"id": "B", "reason": "OK", "outcome": "REVIEW", "when": "nonsense > 1", "colour": "red"},
        ],
    }
    with pytest.raises(RuleSetInvalid) as info:
        parse_rule_set(data, "bad.yaml")
    text = "\n".join(info.value.errors)
    for expected in [
        "unknown top-level keys ['surprise']",
        "version must be a non-empty string",
        "only credit rule sets have limits",
        "unknown reason code 'NOT_A_CODE'",
        "duplicate id",
        "outcome must be one of",
        "unknown field 'nonsense'",
        "unknown keys ['colour']",
    ]:
        assert expected in text
    assert len(info.value.errors) == 8


def test_rules_may_only_read_the_fields_of_their_decision_type():
    with pytest.raises(RuleSetInvalid, match="unknown field 'score.credit'"):
        parse_rule_set(
            {
                "decision_type": "login",
                "version": "v",
                "rules": [{"id": "x", "reason": "OK", "outcome": "DENY", "when": "score.credit < 1"}],
            }
        )
    assert "score.credit" in FIELDS[DecisionType.CREDIT]

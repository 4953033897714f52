"""Transaction decision policy: threshold rules as data, evaluated over request, profile and features.

Issue-2 slice: rules only (no model score yet). Each rule is a frozen value with a stable reason
code; the strictest outcome of the rules that fire wins (DECLINE > STEP_UP > REVIEW > APPROVE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "DEFAULT_TRANSACTION_RULES",
    "REASON_TEXT",
    "DecisionInputs",
    "Outcome",
    "PolicyResult",
    "Rule",
    "RuleSet",
    "decide",
]


class Outcome(StrEnum):
    APPROVE = "APPROVE"
    REVIEW = "REVIEW"
    STEP_UP = "STEP_UP"
    DECLINE = "DECLINE"


_SEVERITY = {Outcome.APPROVE: 0, Outcome.REVIEW: 1, Outcome.STEP_UP: 2, Outcome.DECLINE: 3}

#: Stable reason codes and their human text (documented in docs/decision-api.md).
REASON_TEXT: dict[str, str] = {
    "OK": "Within every limit and pattern the policy checks",
    "UNKNOWN_CUSTOMER": "The customer could not be resolved to a GCID",
    "SANCTIONED": "The customer is flagged on a sanctions list",
    "AMOUNT_VERY_HIGH": "The amount is above the hard single-transaction limit",
    "AMOUNT_HIGH": "The amount is above the review threshold",
    "VELOCITY_COUNT_24H": "Unusually many transactions in the last 24 hours",
    "VELOCITY_SUM_24H": "The 24-hour total including this amount is above the daily limit",
    "NEW_DEVICE_HIGH_AMOUNT": "A large amount from a device never seen for this customer",
    "FEATURES_MISSING": "No recent activity features for the customer; decided on the request alone",
}


@dataclass(frozen=True, slots=True)
class DecisionInputs:
    """Everything a rule may read, as served: request fields, profile and online features."""

    amount: Decimal
    currency: str
    channel: str
    txn_type: str
    gcid: str | None
    sanctioned: bool | None = None
    known_devices: frozenset[str] = frozenset()
    device_id: str | None = None
    txn_count_24h: int | None = None
    txn_amount_sum_24h: float | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    reason_code: str
    outcome: Outcome
    condition: Callable[[DecisionInputs], bool] = field(compare=False)
    description: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class PolicyResult:
    outcome: Outcome
    reason_codes: tuple[str, ...]
    fired_rules: tuple[str, ...]
    rule_set_version: str


def _vel_sum(i: DecisionInputs) -> float:
    return (i.txn_amount_sum_24h or 0.0) + float(i.amount)


DEFAULT_TRANSACTION_RULES = RuleSet(
    version="txn-rules-2026.11.1",
    rules=(
        Rule("R001", "UNKNOWN_CUSTOMER", Outcome.REVIEW, lambda i: i.gcid is None, "no GCID for the payer"),
        Rule(
            "R002",
            "SANCTIONED",
            Outcome.DECLINE,
            lambda i: i.sanctioned is True,
            "sanctions flag on the profile",
        ),
        Rule(
            "R003",
            "AMOUNT_VERY_HIGH",
            Outcome.DECLINE,
            lambda i: i.amount >= Decimal("1000000"),
            "≥ 1,000,000",
        ),
        Rule(
            "R004",
            "AMOUNT_HIGH",
            Outcome.REVIEW,
            lambda i: Decimal("150000") <= i.amount < Decimal("1000000"),
            "150,000 ≤ amount < 1,000,000",
        ),
        Rule(
            "R005",
            "VELOCITY_COUNT_24H",
            Outcome.REVIEW,
            lambda i: i.txn_count_24h is not None and i.txn_count_24h >= 20,
            "20 or more transactions in 24 h",
        ),
        Rule(
            "R006",
            "VELOCITY_SUM_24H",
            Outcome.DECLINE,
            lambda i: i.txn_count_24h is not None and _vel_sum(i) > 1_500_000,
            "24 h total with this amount above 1,500,000",
        ),
        Rule(
            "R007",
            "NEW_DEVICE_HIGH_AMOUNT",
            Outcome.STEP_UP,
            lambda i: (
                i.device_id is not None
                and i.gcid is not None
                and i.device_id not in i.known_devices
                and i.amount >= Decimal("50000")
            ),
            "unseen device and amount ≥ 50,000",
        ),
        Rule(
            "R008",
            "FEATURES_MISSING",
            Outcome.APPROVE,
            lambda i: i.gcid is not None and i.txn_count_24h is None,
            "informational: no online features for a known customer",
        ),
    ),
)


def decide(inputs: DecisionInputs, rules: RuleSet = DEFAULT_TRANSACTION_RULES) -> PolicyResult:
    fired = [rule for rule in rules.rules if rule.condition(inputs)]
    if not fired:
        return PolicyResult(Outcome.APPROVE, ("OK",), (), rules.version)
    outcome = max((r.outcome for r in fired), key=_SEVERITY.__getitem__)
    codes = tuple(dict.fromkeys(r.reason_code for r in fired))
    return PolicyResult(outcome, codes, tuple(r.rule_id for r in fired), rules.version)

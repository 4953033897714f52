"""Rule sets as data: versioned YAML files per decision type, validated with every error at once.

A rule fires when its ``when`` expression (see :mod:`models.decisioning._expressions`) is true;
the strictest outcome among the fired rules wins, every fired rule's reason is kept in order. With
no rule fired the decision type's default outcome and reason apply. Credit rule sets also carry
``limits``: the first tier whose ``when`` holds sets ``limit``, which later rules may read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from feature_repo.catalog import FEATURES
from models.decisioning._expressions import CompiledExpression, ExpressionError, compile_expression
from models.decisioning._reasons import REASON_TEXT

__all__ = [
    "DEFAULT_OUTCOME",
    "FEATURE_PREFIX",
    "FIELDS",
    "OUTCOMES",
    "DecisionType",
    "LimitTier",
    "PolicyResult",
    "Rule",
    "RuleSet",
    "RuleSetInvalid",
    "evaluate",
    "features_read",
    "load_rule_set",
    "parse_rule_set",
]


class DecisionType(StrEnum):
    TRANSACTION = "transaction"
    LOGIN = "login"
    CREDIT = "credit"


#: Outcomes of each decision type, least to most severe.
OUTCOMES: dict[DecisionType, tuple[str, ...]] = {
    DecisionType.TRANSACTION: ("APPROVE", "REVIEW", "STEP_UP", "DECLINE"),
    DecisionType.LOGIN: ("ALLOW", "STEP_UP", "DENY"),
    DecisionType.CREDIT: ("APPROVE", "REVIEW", "DECLINE"),
}
DEFAULT_OUTCOME: dict[DecisionType, tuple[str, str]] = {
    DecisionType.TRANSACTION: ("APPROVE", "OK"),
    DecisionType.LOGIN: ("ALLOW", "OK"),
    DecisionType.CREDIT: ("APPROVE", "CREDIT_PREAPPROVED"),
}

FEATURE_PREFIX = "features."
_CUSTOMER = {
    "gcid",
    "degraded",
    "customer.sanctioned",
    "customer.pep",
    "customer.kyc_tier",
    "customer.segment",
    "device.known",
}
#: Streamed features by name (``features.<name>``): the feature catalog's vocabulary, which the
#: decision context serves whole (``decision_context_v1``).
_FEATURES = {f"{FEATURE_PREFIX}{name}" for name in FEATURES}
#: What a rule of each decision type may read.
FIELDS: dict[DecisionType, frozenset[str]] = {
    DecisionType.TRANSACTION: frozenset(
        {"amount", "currency", "channel", "txn_type", "counterparty", "device_id", "location", "score.fraud"}
        | _CUSTOMER
        | _FEATURES
    ),
    DecisionType.LOGIN: frozenset(
        {"channel", "device_id", "ip_address", "location", "score.fraud"} | _CUSTOMER | _FEATURES
    ),
    DecisionType.CREDIT: frozenset(
        {"amount", "currency", "product", "term_days", "score.credit", "limit"} | _CUSTOMER | _FEATURES
    ),
}


class RuleSetInvalid(ValueError):
    """A rule set file with problems; ``errors`` lists every one of them."""

    def __init__(self, source: str, errors: Sequence[str]) -> None:
        super().__init__(f"{source}: {len(errors)} error(s):\n  " + "\n  ".join(errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    reason_code: str
    outcome: str
    when: CompiledExpression
    description: str = ""


@dataclass(frozen=True, slots=True)
class LimitTier:
    when: CompiledExpression
    limit: int


@dataclass(frozen=True, slots=True)
class RuleSet:
    decision_type: DecisionType
    version: str
    rules: tuple[Rule, ...]
    limits: tuple[LimitTier, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class PolicyResult:
    outcome: str
    reason_codes: tuple[str, ...]
    fired_rules: tuple[str, ...]
    rule_set_version: str
    limit: int | None = None


def parse_rule_set(data: Any, source: str = "<rule set>") -> RuleSet:
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise RuleSetInvalid(source, ["the file must hold a mapping"])
    unknown_keys = set(data) - {"decision_type", "version", "description", "rules", "limits"}
    if unknown_keys:
        errors.append(f"unknown top-level keys {sorted(unknown_keys)}")
    try:
        kind = DecisionType(str(data.get("decision_type")))
    except ValueError:
        raise RuleSetInvalid(
            source, [*errors, f"decision_type must be one of {[t.value for t in DecisionType]}"]
        ) from None
    version = data.get("version")
    if not isinstance(version, str) or not version:
        errors.append("version must be a non-empty string")
    fields = FIELDS[kind]
    limits: list[LimitTier] = []
    for i, tier in enumerate(data.get("limits") or []):
        where = f"limits[{i}]"
        if kind is not DecisionType.CREDIT:
            errors.append(f"{where}: only credit rule sets have limits")
            continue
        if not isinstance(tier, Mapping) or not isinstance(tier.get("limit"), int) or tier["limit"] < 0:
            errors.append(f"{where}: needs 'when' and a non-negative integer 'limit'")
            continue
        try:
            limits.append(
                LimitTier(compile_expression(str(tier.get("when", "")), fields - {"limit"}), tier["limit"])
            )
        except ExpressionError as exc:
            errors.append(f"{where}.when: {exc}")
    rules: list[Rule] = []
    seen: set[str] = set()
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        errors.append("rules must be a non-empty list")
        raw_rules = []
    for i, raw in enumerate(raw_rules):
        where = f"rules[{i}]"
        if not isinstance(raw, Mapping):
            errors.append(f"{where}: must be a mapping")
            continue
        rule_id = raw.get("id")
        where = f"rules[{i}] ({rule_id})"
        extra = set(raw) - {"id", "reason", "outcome", "when", "description"}
        if extra:
            errors.append(f"{where}: unknown keys {sorted(extra)}")
        if not isinstance(rule_id, str) or not rule_id:
            errors.append(f"{where}: id must be a non-empty string")
        elif rule_id in seen:
            errors.append(f"{where}: duplicate id")
        else:
            seen.add(rule_id)
        reason = raw.get("reason")
        if reason not in REASON_TEXT:
            errors.append(f"{where}: unknown reason code {reason!r} (add it to reasons.yaml first)")
        outcome = raw.get("outcome")
        if outcome not in OUTCOMES[kind]:
            errors.append(f"{where}: outcome must be one of {list(OUTCOMES[kind])}, not {outcome!r}")
        try:
            when = compile_expression(str(raw.get("when", "")), fields)
        except ExpressionError as exc:
            errors.append(f"{where}.when: {exc}")
            continue
        rules.append(Rule(str(rule_id), str(reason), str(outcome), when, str(raw.get("description", ""))))
    if errors:
        raise RuleSetInvalid(source, errors)
    return RuleSet(kind, str(version), tuple(rules), tuple(limits), str(data.get("description", "")))


def features_read(rule_set: RuleSet) -> frozenset[str]:
    """The streamed features (names without ``features.``) any rule or limit tier of ``rule_set`` reads."""
    names: set[str] = set()
    for expression in [r.when for r in rule_set.rules] + [t.when for t in rule_set.limits]:
        names.update(n for n in expression.names if n.startswith(FEATURE_PREFIX))
    return frozenset(n.removeprefix(FEATURE_PREFIX) for n in names)


def load_rule_set(path: Path) -> RuleSet:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise RuleSetInvalid(str(path), [f"cannot read: {exc}"]) from None
    return parse_rule_set(data, str(path))


def evaluate(rule_set: RuleSet, context: Mapping[str, Any]) -> PolicyResult:
    """Apply ``rule_set`` to a flat context (``"features.txn_count_24h"`` → value)."""
    ctx = dict(context)
    limit = None
    for tier in rule_set.limits:
        if tier.when.holds(ctx):
            limit = tier.limit
            break
    if rule_set.decision_type is DecisionType.CREDIT:
        ctx["limit"] = limit
    fired = [r for r in rule_set.rules if r.when.holds(ctx)]
    severity = OUTCOMES[rule_set.decision_type]
    if not fired:
        outcome, reason = DEFAULT_OUTCOME[rule_set.decision_type]
        return PolicyResult(outcome, (reason,), (), rule_set.version, limit)
    outcome = max((r.outcome for r in fired), key=severity.index)
    codes = tuple(dict.fromkeys(r.reason_code for r in fired))
    return PolicyResult(outcome, codes, tuple(r.rule_id for r in fired), rule_set.version, limit)

"""The rule-set files shipped with the Brain (``rulesets/<type>-<version>.yaml``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from models.decisioning._rulesets import DecisionType, RuleSet, load_rule_set

__all__ = ["RULESET_DIR", "bundled_rule_set", "rule_set_files"]

RULESET_DIR = Path(__file__).with_name("rulesets")


def rule_set_files(decision_type: DecisionType) -> list[Path]:
    return sorted(RULESET_DIR.glob(f"{decision_type.value}-*.yaml"))


@cache
def bundled_rule_set(decision_type: DecisionType) -> RuleSet:
    """The newest bundled rule set of ``decision_type`` (files sort by version)."""
    files = rule_set_files(decision_type)
    if not files:
        raise FileNotFoundError(f"no bundled rule set for {decision_type.value}")
    return load_rule_set(files[-1])

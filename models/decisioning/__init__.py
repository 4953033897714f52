"""Decision policy (domain core: no Kafka, Redis, Feast, BentoML or MLflow).

Rules are data (``rulesets/*.yaml``) in a safe expression language; reason codes are a stable
catalogue (``reasons.yaml``).
"""

from models.decisioning._catalog import RULESET_DIR, bundled_rule_set, rule_set_files
from models.decisioning._expressions import CompiledExpression, ExpressionError, compile_expression
from models.decisioning._reasons import REASON_TEXT
from models.decisioning._rulesets import (
    DEFAULT_OUTCOME,
    FIELDS,
    OUTCOMES,
    DecisionType,
    LimitTier,
    PolicyResult,
    Rule,
    RuleSet,
    RuleSetInvalid,
    evaluate,
    load_rule_set,
    parse_rule_set,
)

__all__ = [
    "DEFAULT_OUTCOME",
    "FIELDS",
    "OUTCOMES",
    "REASON_TEXT",
    "RULESET_DIR",
    "CompiledExpression",
    "DecisionType",
    "ExpressionError",
    "LimitTier",
    "PolicyResult",
    "Rule",
    "RuleSet",
    "RuleSetInvalid",
    "bundled_rule_set",
    "compile_expression",
    "evaluate",
    "load_rule_set",
    "parse_rule_set",
    "rule_set_files",
]

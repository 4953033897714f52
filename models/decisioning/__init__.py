"""Decision policy (domain core: no Kafka, Redis, Feast, BentoML or MLflow).

Rules are data (``rulesets/*.yaml``) in a safe expression language; reason codes are a stable
catalogue (``reasons.yaml``). The features a rule may read (``features.<name>``) are the feature
catalog's (:data:`feature_repo.catalog.FEATURES`), the vocabulary the decision context serves.
"""

from models.decisioning._catalog import RULESET_DIR, bundled_rule_set, rule_set_files
from models.decisioning._expressions import CompiledExpression, ExpressionError, compile_expression
from models.decisioning._reasons import REASON_TEXT
from models.decisioning._rulesets import (
    DEFAULT_OUTCOME,
    FEATURE_PREFIX,
    FIELDS,
    OUTCOMES,
    DecisionType,
    LimitTier,
    PolicyResult,
    Rule,
    RuleSet,
    RuleSetInvalid,
    evaluate,
    features_read,
    load_rule_set,
    parse_rule_set,
)

__all__ = [
    "DEFAULT_OUTCOME",
    "FEATURE_PREFIX",
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
    "features_read",
    "load_rule_set",
    "parse_rule_set",
    "rule_set_files",
]

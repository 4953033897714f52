"""Decision policy (domain core: no Kafka, Redis, Feast, BentoML or MLflow)."""

from models.decisioning._policy import (
    DEFAULT_TRANSACTION_RULES,
    REASON_TEXT,
    DecisionInputs,
    Outcome,
    PolicyResult,
    Rule,
    RuleSet,
    decide,
)

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

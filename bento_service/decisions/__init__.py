"""The decision engine behind ``/v1/decisions/*``."""

from bento_service.decisions._backtest import BacktestReport, backtest
from bento_service.decisions._engine import (
    DecisionEngine,
    IdempotencyConflict,
    build_context,
    decision_type_of,
)
from bento_service.decisions._ports import ModelFeatureReader, Score, Scorer
from bento_service.decisions._spool import DecisionSpool, drain_periodically

__all__ = [
    "BacktestReport",
    "DecisionEngine",
    "DecisionSpool",
    "IdempotencyConflict",
    "ModelFeatureReader",
    "Score",
    "Scorer",
    "backtest",
    "build_context",
    "decision_type_of",
    "drain_periodically",
]

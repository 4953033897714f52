"""Prometheus metrics of the API (served by BentoML's ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["DECISION_LATENCY", "DECISION_OUTCOMES", "DECISIONS_DEGRADED"]

DECISION_LATENCY = Histogram(
    "brain_decision_latency_seconds",
    "Decision latency inside the service, request parsed to log written",
    ["decision_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0),
)
DECISION_OUTCOMES = Counter("brain_decisions_total", "Decisions answered", ["decision_type", "outcome"])
DECISIONS_DEGRADED = Counter(
    "brain_decisions_degraded_total", "Decisions answered in a degraded mode", ["decision_type", "cause"]
)

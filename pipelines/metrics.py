"""Prometheus metrics of the pipeline processes (consumers, producers, processors)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

__all__ = [
    "EVENTS_CONSUMED",
    "EVENTS_DEAD_LETTERED",
    "EVENTS_FAILED",
    "EVENTS_PRODUCED",
    "PROCESSING_SECONDS",
    "serve_metrics",
]

EVENTS_CONSUMED = Counter(
    "brain_events_consumed_total", "Events consumed and handled", ["processor", "topic"]
)
EVENTS_PRODUCED = Counter("brain_events_produced_total", "Events published", ["topic"])
EVENTS_FAILED = Counter(
    "brain_events_failed_total",
    "Events whose handling failed (retried or dead-lettered)",
    ["processor", "topic", "kind"],
)
EVENTS_DEAD_LETTERED = Counter("brain_events_dead_lettered_total", "Events sent to a DLQ", ["topic"])
PROCESSING_SECONDS = Histogram(
    "brain_event_processing_seconds",
    "Time to handle one event, parse to effect",
    ["processor"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose ``/metrics`` on ``addr:port`` from a daemon thread (``port`` 0 disables it)."""
    if port:
        start_http_server(port, addr=addr)

"""Rebuild of the Customer 360: empty its tables, replay its topics from the beginning.

* **Replay** (services mode, and any transport that keeps the log): the projection tables and the
  processor's ``processed_event`` marks are emptied, then a *fresh* consumer group reads every
  topic of :class:`Customer360Handler` from the earliest offset through the same handler, until
  the group has committed the end offsets taken when the rebuild started. The live group's offsets
  are untouched: when the live processor restarts, what it redelivers is already marked processed.
  Stop the live Customer 360 processor first (its writes would interleave with the replay).
* **Recompute** (embedded mode): the in-process bus lives in memory and is gone once the process
  that published exits, so there is no log to replay. What can be rebuilt is what is derived:
  golden records, lookup keys and risk profiles are recomputed from the stored per-record rows
  (source customers, accounts, transactions, alerts, scores, devices, channels) — exactly what a
  replay would derive from them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select

from customer360 import clear_projection, refresh_golden, refresh_risk
from kernel.storage.schema import customer_360, customer_360_key, identity_record, risk_profile
from kernel.transport import EventConsumer, EventPublisher
from pipelines.dlq import DeadLetters
from pipelines.processors._runner import ProcessorRunner
from pipelines.processors.customer360 import Customer360Handler

__all__ = ["RebuildReport", "kafka_caught_up", "recompute_customer360", "replay_customer360"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RebuildReport:
    events: int
    gcids: int
    seconds: float


def replay_customer360(
    engine: Engine,
    consumer: EventConsumer,
    dlq: EventPublisher,
    caught_up: Callable[[], bool],
    timeout_s: float = 3600.0,
) -> RebuildReport:
    """Empty the projection, then feed ``consumer`` (a fresh group, from the beginning) through the
    handler until ``caught_up()`` says the group committed the end of every topic."""
    started = time.monotonic()
    handler = Customer360Handler(engine, batched=True)
    with engine.begin() as conn:
        clear_projection(conn, handler.name)
    runner = ProcessorRunner(handler, consumer, dlq, poll_timeout_ms=200, dead_letters=DeadLetters(engine))
    try:
        while True:
            took = runner.run_once()
            if not took and caught_up():
                break
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"the replay did not catch up within {timeout_s:.0f} s")
    finally:
        consumer.close()
    with engine.connect() as conn:
        gcids = len(conn.execute(select(customer_360.c.gcid)).all())
    return RebuildReport(runner.handled, gcids, time.monotonic() - started)


def recompute_customer360(engine: Engine) -> RebuildReport:
    """Recompute every golden record, lookup key and risk profile from the stored per-record rows."""
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(delete(customer_360_key))
        conn.execute(delete(customer_360))
        conn.execute(delete(risk_profile))
        gcids = sorted({r[0] for r in conn.execute(select(identity_record.c.gcid).distinct())})
        for gcid in gcids:
            refresh_golden(conn, gcid)
            refresh_risk(conn, gcid)
    return RebuildReport(0, len(gcids), time.monotonic() - started)


def kafka_caught_up(
    bootstrap: str, group: str, topics: tuple[str, ...], prefix: str = ""
) -> Callable[[], bool]:
    """A check that ``group`` has committed, on every partition of ``topics``, the end offset the
    partition had when this function was called (records published later are the live group's)."""
    from kafka import KafkaConsumer, TopicPartition

    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    partitions = [
        TopicPartition(prefix + t, p)
        for t in topics
        for p in sorted(probe.partitions_for_topic(prefix + t) or ())
    ]
    ends = {tp: off for tp, off in probe.end_offsets(partitions).items() if off > 0}

    def check() -> bool:
        return all((probe.committed(tp) or 0) >= end for tp, end in ends.items())

    return check

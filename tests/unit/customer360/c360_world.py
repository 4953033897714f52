"""Builders for the Customer 360 tests: events of every input topic and a hand-made identity graph.

The identity graph is written directly (``identity_record``, ``gcid``) so these tests depend only
on the contract with identity resolution, not on how it matches. The builders of the input events
and of ``GcidAssigned`` are the synthetic load's (:mod:`pipelines.simulator`), re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, update

from kernel.events import (
    GcidMerged,
    GcidMergedPayload,
    GcidSplit,
    GcidSplitPayload,
    SourceRef,
    make_event_id,
)
from kernel.storage.schema import gcid as gcid_t
from kernel.storage.schema import identity_record
from pipelines.simulator import assigned, fraud, login, risk, txn
from tests.factories import T0

__all__ = [
    "assign",
    "assigned",
    "fraud",
    "login",
    "merge",
    "merged",
    "risk",
    "split",
    "split_event",
    "txn",
]


def assign(engine: Engine, gcid: str, *refs: tuple[str, str], at: datetime = T0) -> None:
    """Put ``refs`` under ``gcid`` (creating it) in the identity graph."""
    with engine.begin() as conn:
        if not conn.execute(gcid_t.select().where(gcid_t.c.gcid == gcid)).first():
            conn.execute(insert(gcid_t).values(gcid=gcid, created_at=at, merged_into=None, updated_at=at))
        for system, key in refs:
            conn.execute(
                delete(identity_record).where(
                    identity_record.c.source_system == system, identity_record.c.source_key == key
                )
            )
            conn.execute(
                insert(identity_record).values(
                    source_system=system,
                    source_key=key,
                    gcid=gcid,
                    attributes={},
                    occurred_at=at,
                    first_seen=at,
                    last_event_id="test",
                )
            )


def merge(engine: Engine, survivor: str, merged_gcid: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(identity_record).where(identity_record.c.gcid == merged_gcid).values(gcid=survivor)
        )
        conn.execute(update(gcid_t).where(gcid_t.c.gcid == merged_gcid).values(merged_into=survivor))


def split(engine: Engine, gcid: str, new_gcid: str, *refs: tuple[str, str]) -> None:
    assign(engine, new_gcid, *refs)
    with engine.begin() as conn:
        conn.execute(update(gcid_t).where(gcid_t.c.gcid == new_gcid).values(merged_into=None))


def _ref(system: str, key: str) -> SourceRef:
    return SourceRef(source_system=system, source_key=key)


def merged(survivor: str, gone: str) -> GcidMerged:
    return GcidMerged(
        event_id=make_event_id("brain.identity", "merge", f"{gone}>{survivor}", "1"),
        source_system="brain.identity",
        source_table="gcid",
        source_key=survivor,
        occurred_at=T0,
        payload=GcidMergedPayload(
            survivor=survivor, merged=gone, records=(), settings_version="t", decided_by="resolver"
        ),
    )


def split_event(gcid: str, new_gcid: str, *refs: tuple[str, str]) -> GcidSplit:
    return GcidSplit(
        event_id=make_event_id("brain.identity", "split", f"{gcid}>{new_gcid}", "1"),
        source_system="brain.identity",
        source_table="gcid",
        source_key=gcid,
        occurred_at=T0,
        payload=GcidSplitPayload(
            gcid=gcid,
            new_gcid=new_gcid,
            records=tuple(_ref(s, k) for s, k in refs),
            settings_version="t",
            decided_by="operator-1",
        ),
    )

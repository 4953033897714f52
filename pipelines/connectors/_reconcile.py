"""Reconciliation of polled tables: find the rows watermark polling missed, and re-emit them.

Polling only sees a row whose watermark moved, and the sources' ``UpdatedAt`` columns are not
reliable (WekezaCRM's API forgets to set it; the CRM mapping polls on ``CreatedAt``); it never
sees deletes. Reconciliation compares, per key range, the source table *now* with the last state
of each row the connector captured (``connector_raw``):

1. **ranges** — the key space is cut into ``ranges`` buckets by a hash of the source key
   (``crc32(source_key) mod ranges``): ranges that do not depend on key types or on the collation
   of two different database engines. Per range, both sides give a row count and a checksum (sum
   of the rows' hashes of their raw values, mod 2⁶⁴, order-independent, streamed);
2. **drill-down** — only in ranges whose count or checksum differ, rows are compared one by one:
   a row absent from the capture, or captured in another state → re-emitted as an update; a row
   captured but gone from the source → re-emitted as a delete (events that can express it);
3. **re-emission** goes through the connector's own mapping and publishing (DLQ included) and is
   kept in ``connector_raw``, so the next run finds the range equal. Event ids are deterministic
   (position ``reconcile:<row hash>:v<versions captured>``): a run killed after publishing and
   rerun publishes the same ids, which downstream processors ignore.

The last run's report is kept as connector ``<name>#reconcile`` (mode ``reconcile``) in
``connector_state``: ``brain connectors status`` shows it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime

from kernel.events import utcnow
from pipelines.connectors._mapper import Change, Mapper, RawValue
from pipelines.connectors._polling import PollingSource, row_digest
from pipelines.connectors._runner import Connector
from pipelines.connectors._store import ConnectorStore
from pipelines.connectors.errors import ConnectorError, RowError

__all__ = ["ReconcileReport", "TableReport", "reconcile", "reconcile_name", "run_with_reconciliation"]

log = logging.getLogger(__name__)

_MOD = 2**64


@dataclass(frozen=True, slots=True)
class TableReport:
    table: str
    source_rows: int
    captured_rows: int
    ranges: int
    mismatched_ranges: int
    changed: int  # rows missing from the capture or captured in another state
    deleted: int  # rows captured but gone from the source
    reemitted: int  # events published again
    errors: int  # re-emitted rows that went to the DLQ


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    connector: str
    started_at: datetime
    duration_s: float
    tables: tuple[TableReport, ...]

    @property
    def mismatched_ranges(self) -> int:
        return sum(t.mismatched_ranges for t in self.tables)

    def summary(self) -> str:
        return json.dumps(
            {"at": self.started_at.isoformat(timespec="seconds"), "tables": [asdict(t) for t in self.tables]}
        )


def reconcile_name(connector: str) -> str:
    """The ``connector_state`` row of a connector's reconciliation."""
    return f"{connector}#reconcile"


def _bucket(key: str, ranges: int) -> int:
    return zlib.crc32(key.encode()) % ranges


def _digest(mapper: Mapper, raw: dict[str, RawValue]) -> str:
    return row_digest(mapper.scrub(raw))  # the capture keeps rows scrubbed (no card numbers)


class _Sides:
    """Per-range (count, checksum) of the source table and of the capture."""

    def __init__(self, ranges: int) -> None:
        self.source = [[0, 0] for _ in range(ranges)]
        self.captured = [[0, 0] for _ in range(ranges)]

    @staticmethod
    def add(side: list[list[int]], bucket: int, digest: str) -> None:
        side[bucket][0] += 1
        side[bucket][1] = (side[bucket][1] + int(digest, 16)) % _MOD

    def mismatched(self) -> set[int]:
        return {b for b, (s, c) in enumerate(zip(self.source, self.captured, strict=True)) if s != c}


def _table(
    connector: Connector, source: PollingSource, store: ConnectorStore, table: str, ranges: int
) -> TableReport:
    mapper = connector.mappers(table)[0]
    sides = _Sides(ranges)

    def source_rows(only: set[int] | None) -> dict[str, dict[str, RawValue]]:
        kept: dict[str, dict[str, RawValue]] = {}
        for raw in source.scan(table):
            try:
                key = mapper.source_key(raw)
            except RowError:
                continue  # dead-lettered when polled ("<no key>"): nothing to compare
            bucket = _bucket(key, ranges)
            if only is None:
                _Sides.add(sides.source, bucket, _digest(mapper, raw))
            elif bucket in only:
                kept[key] = raw
        return kept

    def captured_rows(only: set[int] | None) -> dict[str, tuple[str, dict[str, RawValue], int]]:
        kept: dict[str, tuple[str, dict[str, RawValue], int]] = {}
        for key, op, raw, versions in store.captured(connector.name, table):
            if key == "<no key>" or not key.startswith(mapper.mapping.key_prefix):
                continue
            bucket = _bucket(key, ranges)
            if only is None:
                if op != "delete":
                    _Sides.add(sides.captured, bucket, _digest(mapper, raw))
            elif bucket in only:
                kept[key] = (op, raw, versions)
        return kept

    source_rows(None)
    captured_rows(None)
    bad = sides.mismatched()
    n_source = sum(c for c, _ in sides.source)
    n_captured = sum(c for c, _ in sides.captured)
    if not bad:
        return TableReport(table, n_source, n_captured, ranges, 0, 0, 0, 0, 0)
    now_rows, seen = source_rows(bad), captured_rows(bad)
    changes: list[Change] = []
    for key, raw in sorted(now_rows.items()):
        op, before, versions = seen.get(key, ("", {}, 0))
        if op == "delete" or not versions or _digest(mapper, raw) != _digest(mapper, before):
            changes.append(Change(table, "update", raw, f"reconcile:{row_digest(raw)}:v{versions}"))
    changed = len(changes)
    for key, (op, before, versions) in sorted(seen.items()):
        if op != "delete" and key not in now_rows:
            changes.append(Change(table, "delete", before, f"reconcile-delete:v{versions}"))
    raws, _, events, errors, _ = connector.emit(changes)
    store.keep_raws(connector.name, raws)
    report = TableReport(
        table, n_source, n_captured, ranges, len(bad), changed, len(changes) - changed, events, errors
    )
    log.info("%s: reconciled %s: %s", connector.name, table, report)
    return report


def reconcile(connector: Connector, store: ConnectorStore, ranges: int = 64) -> ReconcileReport:
    """Compare every polled table with the capture, re-emit what differs, record the report."""
    source = connector.source
    if not isinstance(source, PollingSource):
        raise ConnectorError(f"{connector.name}: reconciliation is for polling sources ({source.mode})")
    started, t0 = utcnow(), time.monotonic()
    tables = tuple(_table(connector, source, store, t, ranges) for t in source.tables if connector.mappers(t))
    report = ReconcileReport(connector.name, started, time.monotonic() - t0, tables)
    store.commit(
        reconcile_name(connector.name),
        "reconcile",
        report.summary(),
        [],
        rows=sum(t.source_rows for t in tables),
        events=sum(t.reemitted for t in tables),
        errors=sum(t.errors for t in tables),
        lag_s=report.duration_s,
        last_error=None,
    )
    return report


def run_with_reconciliation(
    connector: Connector,
    store: ConnectorStore,
    stop: threading.Event,
    interval_s: float,
    ranges: int = 64,
    idle_s: float = 0.2,
) -> None:
    """:meth:`Connector.run`, plus a reconciliation every ``interval_s`` (in the same thread)."""
    due = time.monotonic() + interval_s
    while not stop.is_set():
        result = connector.step()
        if time.monotonic() >= due:
            try:
                reconcile(connector, store, ranges)
            except Exception:  # a failed run must not stop capture; the next one retries
                log.exception("%s: reconciliation failed", connector.name)
            due = time.monotonic() + interval_s
        if result.rows == 0 and not result.more:
            stop.wait(idle_s)

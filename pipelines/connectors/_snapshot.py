"""Initial snapshot of a CDC connector: the rows already in the tables before capture started.

A CDC source (PostgreSQL slot, MySQL binlog) only sees changes made after its starting point. On
a first start (no committed position) with ``snapshot="initial"``, the source first fixes its
stream starting point (creates the slot / reads ``SHOW MASTER STATUS``), then reads every mapped
table in primary-key order, one page per read, and only then streams from that starting point —
as Debezium's ``snapshot.mode=initial`` does.

While the snapshot runs, the connector's committed position is ``snapshot:{json}``
(:class:`SnapshotProgress`): the stream start, the snapshot's time, the table being read and the
last key read in it. A kill resumes at the next page; tables before ``table`` (sorted by name) are
done. Every snapshot row gets the change position ``snapshot:<stream start>``, so its event id is
the same on every re-read of the same snapshot.

A row changed between the start point and the moment its page is read is published twice (its
snapshot event, then its change from the stream); downstream is idempotent on event ids and
newest-wins per source key, so the end state is the same (docs/connectors.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pipelines.connectors._mapper import Change, RawValue
from pipelines.connectors._source import Batch

__all__ = [
    "PageFn",
    "SnapshotMode",
    "SnapshotProgress",
    "is_snapshot",
    "read_snapshot",
    "snapshot_change_position",
]

SnapshotMode = Literal["initial", "never"]

_PREFIX = "snapshot:"


def is_snapshot(position: str | None) -> bool:
    """True while the committed position is a snapshot in progress."""
    return position is not None and position.startswith(_PREFIX + "{")


def snapshot_change_position(start: str) -> str:
    """The change position of every row read by the snapshot that starts the stream at ``start``."""
    return _PREFIX + start


@dataclass(frozen=True, slots=True)
class SnapshotProgress:
    """Where a snapshot is: stream start, snapshot time, current table and last key read there."""

    start: str
    at: datetime
    table: str
    after: tuple[str, ...] | None = None

    def encode(self) -> str:
        body = {
            "start": self.start,
            "at": self.at.isoformat(),
            "table": self.table,
            "after": list(self.after) if self.after is not None else None,
        }
        return _PREFIX + json.dumps(body, sort_keys=True)

    @classmethod
    def decode(cls, position: str) -> SnapshotProgress:
        body = json.loads(position.removeprefix(_PREFIX))
        after = body.get("after")
        return cls(
            body["start"],
            datetime.fromisoformat(body["at"]),
            body["table"],
            tuple(after) if after is not None else None,
        )

    def next_position(self, tables: list[str], last_key: tuple[str, ...] | None, full_page: bool) -> str:
        """The position after a page of ``self.table``: the same table further on, the next table,
        or (last table finished) the stream start."""
        if full_page and last_key is not None:
            return SnapshotProgress(self.start, self.at, self.table, last_key).encode()
        later = [t for t in sorted(tables) if t > self.table]
        if later:
            return SnapshotProgress(self.start, self.at, later[0]).encode()
        return self.start


#: ``fetch(table, after, n)`` → up to ``n`` rows of ``table`` with a key above ``after`` (None: from
#: the first), in key order, as raw text values; and the key of the last one.
PageFn = Callable[
    [str, tuple[str, ...] | None, int], tuple[list[dict[str, RawValue]], tuple[str, ...] | None]
]


def read_snapshot(progress: SnapshotProgress, tables: Sequence[str], page: int, fetch: PageFn) -> Batch:
    """The next page of a snapshot in progress; empty tables are passed over within one read.

    The batch's position is the progress after it (or the stream start once the last table is
    done); ``more`` is always set, so a drain goes on into the stream.
    """
    ordered = sorted(tables)
    while True:
        rows, last_key = fetch(progress.table, progress.after, page)
        after = progress.next_position(ordered, last_key, len(rows) >= page)
        if rows or not is_snapshot(after):
            position = snapshot_change_position(progress.start)
            changes = [Change(progress.table, "insert", row, position, progress.at) for row in rows]
            return Batch(changes, after, None, more=True)
        progress = SnapshotProgress.decode(after)

"""The initial snapshot's progress (committed position) and its paging over the tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.connectors._mapper import RawValue
from pipelines.connectors._snapshot import SnapshotProgress, is_snapshot, read_snapshot

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_progress_round_trips_and_is_told_apart_from_stream_positions():
    p = SnapshotProgress("0/16B3748", AT, "Customers", ("a|b", "2"))
    assert is_snapshot(p.encode()) and SnapshotProgress.decode(p.encode()) == p
    assert not is_snapshot("0/16B3748") and not is_snapshot("mysql-bin.000003:1234")
    assert not is_snapshot(None)


def _tables(data: dict[str, list[int]]):
    calls: list[tuple[str, tuple[str, ...] | None]] = []

    def fetch(table: str, after: tuple[str, ...] | None, n: int):
        calls.append((table, after))
        keys = [k for k in data[table] if after is None or k > int(after[0])][:n]
        rows: list[dict[str, RawValue]] = [{"id": str(k)} for k in keys]
        return rows, ((rows[-1]["id"] or ""),) if rows else None

    return fetch, calls


def test_pages_resume_after_the_last_key_skip_empty_tables_and_end_at_the_stream_start():
    fetch, calls = _tables({"a": [1, 2, 3], "b": [], "c": [7]})
    progress = SnapshotProgress("0/10", AT, "a")
    seen: list[tuple[str, str | None, str]] = []
    position: str | None = progress.encode()
    while position is not None and is_snapshot(position):
        batch = read_snapshot(SnapshotProgress.decode(position), ["c", "b", "a"], 2, fetch)
        assert batch.more
        seen += [(c.table, c.row["id"], c.position) for c in batch.changes]
        position = batch.position
    assert position == "0/10"  # the stream starts where the slot did
    assert seen == [("a", "1", "snapshot:0/10"), ("a", "2", "snapshot:0/10"), ("a", "3", "snapshot:0/10"),
                    ("c", "7", "snapshot:0/10")]  # fmt: skip
    assert ("b", None) in calls  # the empty table was read once, within the read of "c"
    assert all(c.committed_at == AT for c in read_snapshot(progress, ["a"], 5, fetch).changes)

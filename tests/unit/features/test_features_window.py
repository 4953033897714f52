from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from features.window import TransactionVelocity, VelocityRow

pytestmark = pytest.mark.unit

T = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def _velocity(*events: tuple[str, timedelta, str], lateness: timedelta = 48 * H) -> TransactionVelocity:
    """A window fed with (gcid, offset from T, amount) events, ids e0, e1, ..."""
    window = TransactionVelocity(max_lateness=lateness)
    for index, (gcid, offset, amount) in enumerate(events):
        window.observe(gcid, T + offset, Decimal(amount), f"e{index}")
    return window


# (case, events before the query, query offset, expected count, expected sum)
WINDOW_CASES = [
    ("empty history", [], timedelta(0), 0, 0.0),
    ("event at t is in", [timedelta(0)], timedelta(0), 1, 10.0),
    ("event after t is out", [US], timedelta(0), 0, 0.0),
    ("exactly 24h old is out", [-24 * H], timedelta(0), 0, 0.0),
    ("24h minus 1us old is in", [-24 * H + US], timedelta(0), 1, 10.0),
    ("24h plus 1us old is out", [-24 * H - US], timedelta(0), 0, 0.0),
    ("mixed", [-30 * H, -23 * H, -H, timedelta(0), H], timedelta(0), 3, 30.0),
    ("window slides", [-23 * H, -H], 2 * H, 1, 10.0),
]


@pytest.mark.parametrize(
    ("case", "offsets", "query", "count", "total"), WINDOW_CASES, ids=[c[0] for c in WINDOW_CASES]
)
def test_as_of_counts_the_half_open_window(
    case: str, offsets: list[timedelta], query: timedelta, count: int, total: float
) -> None:
    window = _velocity(*[("g1", offset, "10") for offset in offsets])

    row = window.as_of("g1", T + query)

    assert row == VelocityRow("g1", T + query, count, total)


def test_observe_returns_the_row_as_of_the_event_time() -> None:
    window = TransactionVelocity()
    rows = [
        window.observe("g1", T, Decimal("100.50"), "a"),
        window.observe("g1", T + H, 20.25, "b"),
        window.observe("g2", T + H, Decimal("1"), "c"),
        window.observe("g1", T + 24 * H, Decimal("5"), "d"),
    ]

    assert rows == [
        VelocityRow("g1", T, 1, 100.5),
        VelocityRow("g1", T + H, 2, 120.75),
        VelocityRow("g2", T + H, 1, 1.0),
        VelocityRow("g1", T + 24 * H, 2, 25.25),  # "a" is exactly 24 h old: out
    ]


# (case, events in arrival order as (id, offset, amount), late id, its expected row, latest expected row)
LATE_CASES = [
    (
        "late event sees only its past",
        [("a", timedelta(0), "1"), ("b", 2 * H, "2"), ("late", H, "4")],
        "late",
        (2, 5.0),
        (3, 7.0),
    ),
    (
        "late event older than everything",
        [("a", H, "1"), ("b", 2 * H, "2"), ("late", timedelta(0), "4")],
        "late",
        (1, 4.0),
        (3, 7.0),
    ),
    (
        "late event too old for the latest window",
        [("a", 30 * H, "1"), ("late", 5 * H, "4")],
        "late",
        (1, 4.0),
        (1, 1.0),
    ),
]


@pytest.mark.parametrize(
    ("case", "events", "late_id", "late_row", "latest_row"), LATE_CASES, ids=[c[0] for c in LATE_CASES]
)
def test_late_events_count_in_the_windows_they_belong_to(
    case: str,
    events: list[tuple[str, timedelta, str]],
    late_id: str,
    late_row: tuple[int, float],
    latest_row: tuple[int, float],
) -> None:
    window = TransactionVelocity(max_lateness=48 * H)
    returned = {
        event_id: window.observe("g1", T + offset, Decimal(amount), event_id)
        for event_id, offset, amount in events
    }

    late = returned[late_id]
    latest = window.latest("g1")

    assert (late.txn_count_24h, late.txn_amount_sum_24h) == late_row
    assert latest is not None
    assert latest.event_timestamp == T + max(offset for _, offset, _ in events)
    assert (latest.txn_count_24h, latest.txn_amount_sum_24h) == latest_row
    assert window.watermark == latest.event_timestamp


def test_duplicate_event_id_changes_nothing() -> None:
    window = TransactionVelocity()
    first = window.observe("g1", T, Decimal("10"), "e1")
    window.observe("g1", T + H, Decimal("1"), "e2")

    again = window.observe("g1", T, Decimal("10"), "e1")
    conflicting = window.observe("g9", T + 2 * H, Decimal("999"), "e1")  # same id, other payload

    assert again == first
    assert conflicting == first  # first observation wins
    assert len(window) == 2
    assert window.as_of("g1", T + H) == VelocityRow("g1", T + H, 2, 11.0)
    assert window.as_of("g9", T + 2 * H).txn_count_24h == 0


def test_old_entries_expire_and_memory_stays_bounded() -> None:
    window = TransactionVelocity(max_lateness=H)  # horizon = watermark - 25 h
    for minute in range(0, 48 * 60, 10):  # one event every 10 min for 48 h, across 3 customers
        window.observe(f"g{minute % 3}", T + timedelta(minutes=minute), 1.0, f"e{minute}")

    assert window.watermark == T + timedelta(minutes=48 * 60 - 10)
    horizon = window.horizon
    assert horizon is not None
    assert len(window) == 25 * 6  # retained: (horizon, watermark], 6 events an hour
    latest = [window.latest(gcid) for gcid in sorted(window.gcids())]
    assert sum(row.txn_count_24h for row in latest if row) <= 3 * 24 * 6


def test_expired_gcid_disappears_and_too_late_events_are_ignored() -> None:
    window = TransactionVelocity(max_lateness=H)
    window.observe("old", T, 1.0, "e-old")
    window.observe("new", T + 25 * H + US, 1.0, "e-new")  # horizon = T + 1 µs

    assert window.gcids() == frozenset({"new"})
    assert len(window) == 1

    at_horizon = window.observe("x", T + US, 5.0, "e-at-horizon")
    replayed = window.observe("old", T, 1.0, "e-old")  # a duplicate arriving after expiry
    just_after = window.observe("y", T + 2 * US, 5.0, "e-after")

    assert window.too_late == 2
    assert at_horizon == VelocityRow("x", T + US, 0, 0.0)
    assert replayed.txn_count_24h == 0
    assert just_after == VelocityRow("y", T + 2 * US, 1, 5.0)  # still needed by open windows
    assert window.gcids() == frozenset({"new", "y"})


def test_rekey_moves_history_under_the_survivor() -> None:
    window = TransactionVelocity()
    window.observe("survivor", T, Decimal("1"), "s1")
    window.observe("survivor", T + 2 * H, Decimal("2"), "s2")
    window.observe("alias", T + H, Decimal("4"), "a1")
    window.observe("alias", T + 3 * H, Decimal("8"), "a2")

    latest = window.rekey("alias", "survivor")

    assert latest == VelocityRow("survivor", T + 3 * H, 4, 15.0)
    assert window.as_of("survivor", T + H) == VelocityRow("survivor", T + H, 2, 5.0)
    assert window.as_of("alias", T + 3 * H).txn_count_24h == 0
    assert window.latest("alias") is None
    assert window.gcids() == frozenset({"survivor"})
    # a replayed event of the alias is still a duplicate, now under the survivor
    assert window.observe("alias", T + H, Decimal("4"), "a1") == VelocityRow("survivor", T + H, 2, 5.0)
    assert len(window) == 4


@pytest.mark.parametrize(
    ("from_gcid", "to_gcid", "expected"),
    [
        ("alias", "fresh", VelocityRow("fresh", T, 1, 3.0)),  # survivor without history
        ("unknown", "alias", VelocityRow("alias", T, 1, 3.0)),  # nothing to move
        ("alias", "alias", VelocityRow("alias", T, 1, 3.0)),  # self merge is a no-op
        ("unknown", "nobody", None),
    ],
)
def test_rekey_edge_cases(from_gcid: str, to_gcid: str, expected: VelocityRow | None) -> None:
    window = TransactionVelocity()
    window.observe("alias", T, Decimal("3"), "a1")

    assert window.rekey(from_gcid, to_gcid) == expected


def test_rekeyed_entries_still_expire() -> None:
    window = TransactionVelocity(max_lateness=timedelta(0))
    window.observe("alias", T, 1.0, "a1")
    window.rekey("alias", "survivor")

    window.observe("other", T + 24 * H, 1.0, "o1")  # horizon = T: a1 expires

    assert window.gcids() == frozenset({"other"})
    assert len(window) == 1


def test_amounts_are_summed_exactly_and_times_normalised_to_utc() -> None:
    window = TransactionVelocity()
    window.observe("g1", T, 0.1, "a")
    row = window.observe("g1", T.astimezone(timezone(timedelta(hours=3))), 0.2, "b")

    assert row.txn_amount_sum_24h == 0.3  # Decimal("0.1") + Decimal("0.2"), not 0.30000000000000004
    assert row.event_timestamp == T
    assert row.event_timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("occurred_at", "amount", "message"),
    [
        (datetime(2025, 3, 1, 12, 0), 1.0, "timezone-aware"),  # naive: the point of the case
        (T, float("nan"), "finite"),
        (T, Decimal("Infinity"), "finite"),
    ],
)
def test_invalid_inputs_are_rejected(occurred_at: datetime, amount: Decimal | float, message: str) -> None:
    window = TransactionVelocity()

    with pytest.raises(ValueError, match=message):
        window.observe("g1", occurred_at, amount, "e1")
    assert len(window) == 0


def test_window_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="window"):
        TransactionVelocity(window=timedelta(0))
    with pytest.raises(ValueError, match="max_lateness"):
        TransactionVelocity(max_lateness=-H)


A, B = ("v5", "A"), ("crm", "B")

# (case, transactions as (record, offset, amount), moved records, expected old row, expected new row)
SPLIT_CASES = [
    (
        "moved record's transactions follow it",
        [(A, timedelta(0), "1"), (B, H, "2"), (A, 2 * H, "4")],
        {B},
        VelocityRow("old", T + 2 * H, 2, 5.0),
        VelocityRow("new", T + H, 1, 2.0),
    ),
    (
        "the old GCID keeps its latest even if the moved one was newer",
        [(A, timedelta(0), "1"), (B, 3 * H, "2")],
        {B},
        VelocityRow("old", T, 1, 1.0),
        VelocityRow("new", T + 3 * H, 1, 2.0),
    ),
    (
        "everything moved: the old GCID gets an empty row at the split time",
        [(B, timedelta(0), "1"), (B, H, "2")],
        {B},
        VelocityRow("old", T + 5 * H, 0, 0.0),
        VelocityRow("new", T + H, 2, 3.0),
    ),
    (
        "untagged transactions stay",
        [(None, timedelta(0), "1"), (B, H, "2")],
        {B},
        VelocityRow("old", T, 1, 1.0),
        VelocityRow("new", T + H, 1, 2.0),
    ),
]


@pytest.mark.parametrize(
    ("case", "txns", "moved", "old", "new"), SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES]
)
def test_split_moves_the_split_off_records_transactions(
    case: str,
    txns: list[tuple[tuple[str, str] | None, timedelta, str]],
    moved: set[tuple[str, str]],
    old: VelocityRow,
    new: VelocityRow,
) -> None:
    window = TransactionVelocity()
    for i, (record, offset, amount) in enumerate(txns):
        window.observe("old", T + offset, Decimal(amount), f"e{i}", record=record)

    assert window.split("old", "new", moved, T + 5 * H) == (old, new)
    assert len(window) == len(txns)
    # a replayed event of a moved record is a duplicate, now under the new GCID
    moved_ids = [f"e{i}" for i, (record, _, _) in enumerate(txns) if record in moved]
    assert {window.observe("old", T, Decimal(1), e).gcid for e in moved_ids} == {"new"}


@pytest.mark.parametrize(
    ("gcid", "moved"), [("old", {("x", "unknown")}), ("nobody", {A}), ("old", set())], ids=str
)
def test_split_without_anything_to_move_pushes_nothing(gcid: str, moved: set[tuple[str, str]]) -> None:
    window = TransactionVelocity()
    window.observe("old", T, Decimal(1), "e0", record=A)

    assert window.split(gcid, "new", moved, T) is None
    assert window.latest("old") == VelocityRow("old", T, 1, 1.0)


def test_split_then_merge_back_restores_the_windows() -> None:
    window = TransactionVelocity()
    window.observe("old", T, Decimal(1), "e0", record=A)
    window.observe("old", T + H, Decimal(2), "e1", record=B)
    window.split("old", "new", {B}, T + 2 * H)

    assert window.rekey("new", "old") == VelocityRow("old", T + H, 2, 3.0)

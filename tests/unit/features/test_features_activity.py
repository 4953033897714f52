"""CustomerActivity: window arithmetic (boundaries, late events, expiry), novelty, logins, state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from features import CustomerActivity, FeatureRow

pytestmark = pytest.mark.unit

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
US = timedelta(microseconds=1)


def _row(rows: list[FeatureRow], view: str) -> FeatureRow:
    [row] = [r for r in rows if r.view == view]
    return row


# (offsets before t of earlier transactions of 10.0 each, window label, expected count)
WINDOW_CASES = [
    ((), "1h", 1),
    ((H - US,), "1h", 2),  # just inside (t-1h, t]
    ((H,), "1h", 1),  # exactly 1 h before: out
    ((H,), "24h", 2),
    ((D - US, D), "24h", 2),  # boundary at 24 h excluded
    ((D, 7 * D - US, 7 * D), "7d", 3),
    ((7 * D, 30 * D - US, 30 * D), "30d", 3),
    ((30 * D,), "30d", 1),
]


@pytest.mark.parametrize(("offsets", "label", "count"), WINDOW_CASES)
def test_window_boundaries_are_half_open(offsets: tuple[timedelta, ...], label: str, count: int) -> None:
    activity = CustomerActivity()
    for i, back in enumerate(sorted(offsets, reverse=True)):
        activity.observe_transaction("g", T - back, 10.0, f"e{i}", channel="mpesa")
    row = _row(activity.observe_transaction("g", T, 10.0, "now", channel="mpesa"), "transaction_windows")
    assert row.event_timestamp == T
    assert row.values[f"txn_count_{label}"] == count
    assert row.values[f"txn_amount_sum_{label}"] == 10.0 * count


def test_mean_max_and_channel_counts() -> None:
    activity = CustomerActivity()
    activity.observe_transaction("g", T - 2 * H, 30.0, "a", channel="card")
    rows = activity.observe_transaction("g", T, 10.0, "b", channel="mpesa")
    values = _row(rows, "transaction_windows").values
    assert (values["txn_amount_mean_24h"], values["txn_amount_max_24h"]) == (20.0, 30.0)
    assert (values["txn_amount_mean_1h"], values["txn_amount_max_1h"]) == (10.0, 10.0)
    assert (values["txn_count_24h_card"], values["txn_count_24h_mpesa"], values["txn_count_24h_atm"]) == (
        1,
        1,
        0,
    )
    assert values["last_txn_epoch"] == T.timestamp()


def test_a_duplicate_event_counts_once() -> None:
    activity = CustomerActivity()
    activity.observe_transaction("g", T, 10.0, "a", channel="card")
    rows = activity.observe_transaction("g", T, 10.0, "a", channel="card")
    assert _row(rows, "transaction_windows").values["txn_count_24h"] == 1


def test_a_late_event_is_counted_in_the_latest_row() -> None:
    activity = CustomerActivity()
    activity.observe_transaction("g", T, 10.0, "a", channel="card")
    rows = activity.observe_transaction("g", T - 3 * H, 5.0, "late", channel="card")
    row = _row(rows, "transaction_windows")
    assert row.event_timestamp == T  # as of the customer's latest transaction
    assert (row.values["txn_count_24h"], row.values["txn_count_1h"]) == (2, 1)


def test_entries_beyond_the_horizon_expire_and_too_late_events_are_ignored() -> None:
    activity = CustomerActivity(max_lateness=H)
    activity.observe_transaction("old", T - 40 * D, 1.0, "old", channel="card")
    activity.observe_transaction("g", T, 1.0, "now", channel="card")
    assert activity.transaction_rows("old") == []  # expired: older than 30 d + 1 h
    rows = activity.observe_transaction("g", T - 31 * D, 1.0, "too-late", channel="card")
    assert _row(rows, "transaction_windows").values["txn_count_30d"] == 1


def test_counterparty_novelty() -> None:
    activity = CustomerActivity()
    activity.observe_transaction("g", T - 10 * D, 1.0, "a", channel="mpesa", counterparty="KPLC")
    activity.observe_transaction("g", T - 2 * D, 1.0, "b", channel="mpesa", counterparty="SAFCOM")
    activity.observe_transaction("g", T - H, 1.0, "c", channel="mpesa", counterparty="KPLC")
    rows = activity.observe_transaction("g", T, 1.0, "d", channel="mpesa", counterparty="NEWCO")
    assert _row(rows, "counterparty_novelty").values == {"new_payees_24h": 1, "distinct_counterparties_7d": 3}


def test_login_features() -> None:
    activity = CustomerActivity()
    activity.observe_login("g", T - 5 * D, "l0", success=True, device="d1", location="Nairobi")
    activity.observe_login(
        "g", T - timedelta(minutes=30), "l1", success=False, device="d1", location="Nairobi"
    )
    rows = activity.observe_login("g", T, "l2", success=False, device="d2", location="Nairobi")
    assert _row(rows, "login_device").values == {
        "failed_logins_1h": 2,
        "distinct_devices_30d": 2,
        "new_device": 1,
        "new_location": 0,
    }


def test_profile_and_risk_state() -> None:
    activity = CustomerActivity()
    activity.observe_customer("g", T - 100 * D, kyc_tier=2, segment="retail")
    activity.observe_account(
        "g", T - D, account_key="v5:A1", account_type="savings", is_open=True, opened_on=date(2025, 1, 1)
    )
    rows = activity.observe_account("g", T, account_key="v5:A2", account_type="loan", is_open=True)
    profile = _row(rows, "customer_profile").values
    assert profile == {
        "tenure_days": (T - datetime(2025, 1, 1, tzinfo=UTC)).days,
        "kyc_tier": 2,
        "segment": "retail",
        "products_held": 2,
    }
    activity.observe_risk("g", T, score_type="aml", score=700, rating="high")
    activity.observe_risk("g", T, score_type="credit", score=612.0, rating=None)
    activity.observe_alert("g", T, alert_key="fraud:1", is_open=True)
    activity.observe_alert("g", T, alert_key="fraud:2", is_open=True)
    rows = activity.observe_alert("g", T + H, alert_key="fraud:1", is_open=False)
    assert _row(rows, "customer_risk").values == {
        "aml_rating": 3,
        "credit_score": 612.0,
        "open_fraud_alerts": 1,
    }


def test_rekey_merges_every_state_under_the_survivor() -> None:
    activity = CustomerActivity()
    activity.observe_transaction("s", T - H, 10.0, "a", channel="card", counterparty="X")
    activity.observe_transaction("m", T - 2 * H, 5.0, "b", channel="mpesa", counterparty="Y")
    activity.observe_login("m", T - H, "l", success=False, device="d9")
    activity.observe_risk("m", T - H, score_type="aml", score=900, rating="very_high")
    rows = activity.rekey("m", "s", T)
    windows = _row(rows, "transaction_windows")
    assert (windows.gcid, windows.values["txn_count_24h"], windows.values["txn_amount_sum_24h"]) == (
        "s",
        2,
        15.0,
    )
    assert _row(rows, "counterparty_novelty").values["distinct_counterparties_7d"] == 2
    assert _row(rows, "login_device").values["failed_logins_1h"] == 1
    assert _row(rows, "customer_risk").values["aml_rating"] == 4
    assert activity.transaction_rows("m") == []


def test_naive_timestamps_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CustomerActivity().observe_transaction("g", datetime(2026, 1, 1), 1.0, "x", channel="card")


A, B = ("v5", "A"), ("crm", "B")
SPLIT_AT = T + H


def _split_world() -> CustomerActivity:
    """GCID "old" with two records: A (older customer) and B (split off below)."""
    activity = CustomerActivity()
    activity.observe_transaction("old", T - 2 * H, 10.0, "ta", channel="card", counterparty="X", record=A)
    activity.observe_transaction("old", T - H, 30.0, "tb", channel="mpesa", counterparty="Y", record=B)
    activity.observe_transaction("old", T, 5.0, "tu", channel="card")  # untagged: stays
    activity.observe_login("old", T - H, "lb", success=False, device="d-b", record=B)
    activity.observe_customer("old", T - 300 * D, kyc_tier=1, segment="retail", record=A)
    activity.observe_customer("old", T - 10 * D, kyc_tier=3, segment="premier", record=B)
    activity.observe_account(
        "old", T - 10 * D, account_key="crm:L1", account_type="loan", is_open=True, record=B
    )
    activity.observe_risk("old", T - D, score_type="aml", score=900, rating="very_high", record=B)
    activity.observe_risk("old", T - D, score_type="aml", score=100, rating="low", record=A)
    activity.observe_alert("old", T - D, alert_key="fraud:9", is_open=True, record=B)
    return activity


# (view, gcid, expected values (subset), expected event_timestamp) after B is split off to "new"
SPLIT_CASES = [
    ("transaction_windows", "old", {"txn_count_24h": 2, "txn_amount_sum_24h": 15.0}, T),
    ("transaction_windows", "new", {"txn_count_24h": 1, "txn_amount_max_24h": 30.0}, T - H),
    ("counterparty_novelty", "old", {"distinct_counterparties_7d": 1}, T),
    ("counterparty_novelty", "new", {"distinct_counterparties_7d": 1, "new_payees_24h": 1}, T - H),
    # every login was B's: the old GCID's row is emptied, stamped at the split
    ("login_device", "old", {"failed_logins_1h": 0, "distinct_devices_30d": 0}, SPLIT_AT),
    ("login_device", "new", {"failed_logins_1h": 1, "distinct_devices_30d": 1}, T - H),
    ("customer_profile", "old", {"kyc_tier": 1, "segment": "retail", "products_held": 0}, SPLIT_AT),
    ("customer_profile", "new", {"kyc_tier": 3, "segment": "premier", "products_held": 1}, SPLIT_AT),
    ("customer_risk", "old", {"aml_rating": 1, "open_fraud_alerts": 0}, SPLIT_AT),
    ("customer_risk", "new", {"aml_rating": 4, "open_fraud_alerts": 1}, SPLIT_AT),
]


@pytest.mark.parametrize(("view", "gcid", "values", "stamped"), SPLIT_CASES, ids=lambda c: str(c))
def test_split_moves_the_split_off_records_state(
    view: str, gcid: str, values: dict[str, object], stamped: datetime
) -> None:
    activity = _split_world()
    before = _row(
        activity.observe_customer("old", T - 300 * D, kyc_tier=None, segment=None, record=A),
        "customer_profile",
    )
    assert (before.values["kyc_tier"], before.values["products_held"]) == (3, 1)  # newest over A and B

    rows = activity.split("old", "new", [B], SPLIT_AT)

    [row] = [r for r in rows if r.view == view and r.gcid == gcid]
    assert {k: row.values[k] for k in values} == values
    assert row.event_timestamp == stamped
    assert len(rows) == 10  # five views for each GCID


def test_split_then_merge_back_restores_every_row() -> None:
    activity = _split_world()
    before = activity.rekey("none", "old", SPLIT_AT)  # survivor rows without moving anything
    activity.split("old", "new", [B], SPLIT_AT)
    after = activity.rekey("new", "old", SPLIT_AT)
    assert sorted((r.view, dict(r.values)) for r in after) == sorted((r.view, dict(r.values)) for r in before)


@pytest.mark.parametrize(("gcid", "records"), [("old", [("x", "unknown")]), ("nobody", [B]), ("old", [])])
def test_split_without_anything_to_move_returns_no_rows(gcid: str, records: list[tuple[str, str]]) -> None:
    assert _split_world().split(gcid, "new", records, SPLIT_AT) == []


def test_events_of_a_moved_record_are_duplicates_under_the_new_gcid() -> None:
    activity = _split_world()
    activity.split("old", "new", [B], SPLIT_AT)
    activity.observe_transaction("new", T - H, 30.0, "tb", channel="mpesa", counterparty="Y", record=B)
    assert _row(activity.transaction_rows("new"), "transaction_windows").values["txn_count_24h"] == 1


def test_amounts_are_summed_exactly_in_decimal() -> None:
    activity = CustomerActivity()
    activity.observe_transaction("g", T, Decimal("0.10"), "x1", channel="mpesa", counterparty=None)
    [windows, _] = activity.observe_transaction(
        "g", T + timedelta(seconds=1), 0.2, "x2", channel="mpesa", counterparty=None
    )
    # summing floats would serve 0.30000000000000004
    assert windows.values["txn_amount_sum_24h"] == 0.3
    assert windows.values["txn_amount_mean_24h"] == 0.15
    assert windows.values["txn_amount_max_24h"] == 0.2

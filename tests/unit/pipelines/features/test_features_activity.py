"""CustomerActivity: window arithmetic (boundaries, late events, expiry), novelty, logins, state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pipelines.features import CustomerActivity, FeatureRow

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

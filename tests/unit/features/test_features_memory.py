from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

import features
from features import FeatureReader, FeatureWriter, InMemoryFeatureStore
from tests.factories import feature_row, served, velocity_row

pytestmark = pytest.mark.unit

T = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_push_then_read_returns_the_latest_row_of_each_view() -> None:
    store = InMemoryFeatureStore(clock=_Clock(T + H))
    store.push_rows(
        [
            velocity_row("g1", T, 1, 10.0),
            velocity_row("g1", T + H, 2, 30.5),
            velocity_row("g2", T, 1, 1.0),
            feature_row("login_device", "g1", T + H / 2, failed_logins_1h=3),
        ]
    )

    assert store.online_features("g1") == served(
        "g1", T + H, txn_count_24h=2, txn_amount_sum_24h=30.5, failed_logins_1h=3
    )
    assert store.online_features("g2") == served("g2", T, txn_count_24h=1, txn_amount_sum_24h=1.0)
    assert store.online_features("g1").found


def test_absent_gcid_has_every_feature_null() -> None:
    online = InMemoryFeatureStore(clock=_Clock(T)).online_features("nobody")

    assert online == served("nobody")
    assert set(online.values) == set(features.DECISION_FEATURES)
    assert (online.integer("txn_count_24h"), online.number("txn_amount_sum_24h")) == (None, None)
    assert not online.found


def test_an_older_row_does_not_replace_the_online_value_but_is_kept_offline() -> None:
    store = InMemoryFeatureStore(clock=_Clock(T + H))
    late = velocity_row("g1", T, 5, 50.0)
    store.push_rows([velocity_row("g1", T + H, 1, 1.0)])
    store.push_rows([late])

    assert store.online_features("g1").get("txn_count_24h") == 1
    assert store.pushed_rows[-1] == late
    assert len(store.pushed_rows) == 2


@pytest.mark.parametrize(
    ("age", "found"),
    [(timedelta(0), True), (24 * H, True), (24 * H + timedelta(microseconds=1), False)],
)
def test_a_24h_aggregate_older_than_its_window_reads_as_null(age: timedelta, found: bool) -> None:
    store = InMemoryFeatureStore([velocity_row("g1", T, 3, 3.0)], clock=_Clock(T + age))

    online = store.online_features("g1")
    assert (online.get("txn_count_24h") is not None) is found
    assert online.event_timestamp == T  # its 7 d and 30 d windows are still current


def test_each_window_and_the_view_ttl_elapse_on_their_own() -> None:
    row = feature_row(
        "transaction_windows", "g1", T, txn_count_1h=1, txn_count_24h=2, txn_count_7d=3, txn_count_30d=4
    )
    clock = _Clock(T)
    store = InMemoryFeatureStore([row, feature_row("customer_profile", "g1", T, kyc_tier=2)], clock=clock)
    counts = ("txn_count_1h", "txn_count_24h", "txn_count_7d", "txn_count_30d")
    got = []
    for age in (H / 2, 2 * H, 2 * 24 * H, 8 * 24 * H, 31 * 24 * H):
        clock.now = T + age
        online = store.online_features("g1")
        got.append(tuple(online.get(c) for c in counts) + (online.get("kyc_tier"),))
    assert got == [
        (1, 2, 3, 4, 2),
        (None, 2, 3, 4, 2),
        (None, None, 3, 4, 2),
        (None, None, None, 4, 2),
        (None, None, None, None, 2),  # the view's ttl (30 d) passed too; the profile's is 10 years
    ]


def test_in_memory_store_serves_through_both_ports() -> None:
    store = InMemoryFeatureStore(clock=_Clock(T))
    writer: FeatureWriter = store
    reader: FeatureReader = store

    writer.push_rows([velocity_row("g1", T, 7, 70.0)])

    assert reader.online_features("g1") == served("g1", T, txn_count_24h=7, txn_amount_sum_24h=70.0)
    assert reader.supplied_features == frozenset(features.DECISION_FEATURES)


def test_package_all_is_complete_and_importable() -> None:
    public = {
        name
        for name, value in vars(features).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }

    assert set(features.__all__) == public
    assert all(hasattr(features, name) for name in features.__all__)

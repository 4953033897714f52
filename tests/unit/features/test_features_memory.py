from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

import features
from features import FeatureReader, FeatureWriter, InMemoryFeatureStore, OnlineFeatures, VelocityRow

pytestmark = pytest.mark.unit

T = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_push_then_read_returns_the_latest_row() -> None:
    store = InMemoryFeatureStore(clock=_Clock(T + H))
    store.push(
        [VelocityRow("g1", T, 1, 10.0), VelocityRow("g1", T + H, 2, 30.5), VelocityRow("g2", T, 1, 1.0)]
    )

    assert store.online_features("g1") == OnlineFeatures("g1", 2, 30.5, T + H)
    assert store.online_features("g2") == OnlineFeatures("g2", 1, 1.0, T)
    assert store.online_features("g1").found


def test_absent_gcid_has_no_values() -> None:
    features = InMemoryFeatureStore(clock=_Clock(T)).online_features("nobody")

    assert features == OnlineFeatures("nobody")
    assert (features.txn_count_24h, features.txn_amount_sum_24h, features.event_timestamp) == (
        None,
        None,
        None,
    )
    assert not features.found


def test_an_older_row_does_not_replace_the_online_value_but_is_kept_offline() -> None:
    store = InMemoryFeatureStore(clock=_Clock(T + H))
    late = VelocityRow("g1", T, 5, 50.0)
    store.push([VelocityRow("g1", T + H, 1, 1.0)])
    store.push([late])

    assert store.online_features("g1").txn_count_24h == 1
    assert store.pushed[-1] == late
    assert len(store.pushed) == 2


@pytest.mark.parametrize(
    ("age", "found"),
    [(timedelta(0), True), (24 * H, True), (24 * H + timedelta(microseconds=1), False)],
)
def test_rows_older_than_the_view_ttl_read_as_absent(age: timedelta, found: bool) -> None:
    store = InMemoryFeatureStore([VelocityRow("g1", T, 3, 3.0)], clock=_Clock(T + age))

    assert store.online_features("g1").found is found


def test_ttl_can_be_disabled() -> None:
    store = InMemoryFeatureStore([VelocityRow("g1", T, 3, 3.0)], ttl=None, clock=_Clock(T + 1000 * H))

    assert store.online_features("g1").txn_count_24h == 3


def test_in_memory_store_serves_through_both_ports() -> None:
    store = InMemoryFeatureStore(clock=_Clock(T))
    writer: FeatureWriter = store
    reader: FeatureReader = store

    writer.push([VelocityRow("g1", T, 7, 70.0)])

    assert reader.online_features("g1") == OnlineFeatures("g1", 7, 70.0, T)


def test_package_all_is_complete_and_importable() -> None:
    public = {
        name
        for name, value in vars(features).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }

    assert set(features.__all__) == public
    assert all(hasattr(features, name) for name in features.__all__)

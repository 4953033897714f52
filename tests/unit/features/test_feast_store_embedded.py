"""The Feast adapter in the embedded profile: local files only (SQLite online, Parquet offline)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from feast import FileSource, PushSource
from feast.repo_operations import parse_repo

from features import (
    DECISION_FEATURES,
    CustomerActivity,
    FeatureStoreError,
    FeatureStoreUnavailable,
    InMemoryFeatureStore,
)
from features.feast_store import FeastFeatureStore
from pipelines.settings import PipelineSettings
from tests.factories import feature_row, served, velocity_row

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3] / "feature_repo"
NOW = datetime.now(UTC).replace(microsecond=0)  # the online store keeps whole seconds
H = timedelta(hours=1)


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> _Clock:
    return _Clock()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> PipelineSettings:
    return PipelineSettings(run_dir=tmp_path_factory.mktemp("run"), feast_repo=REPO)


@pytest.fixture(scope="module")
def store(settings: PipelineSettings, clock: _Clock) -> FeastFeatureStore:
    store = FeastFeatureStore(settings, clock=clock)
    store.apply()
    return store


@pytest.fixture(autouse=True)
def _reset_clock(clock: _Clock) -> Iterator[None]:
    yield
    clock.now = NOW


def test_apply_registers_the_repo_under_the_run_dir(
    store: FeastFeatureStore, settings: PipelineSettings
) -> None:
    feast = store.store
    embedded = settings.run_dir / "embedded"

    assert store.project == "wekeza_brain"
    assert {e.name for e in feast.list_entities()} >= {"customer", "account", "device"}
    assert sorted(fv.name for fv in feast.list_feature_views()) == [
        "counterparty_novelty",
        "customer_profile",
        "customer_risk",
        "login_device",
        "transaction_windows",
    ]
    assert [v.name for v in feast.list_on_demand_feature_views()] == ["transaction_request"]
    assert {s.name for s in feast.list_feature_services()} == {"decision_context_v1", "fraud_v1", "credit_v1"}
    context = feast.get_feature_service("decision_context_v1")
    assert {f.name for p in context.feature_view_projections for f in p.features} == store.supplied_features
    assert store.supplied_features == frozenset(DECISION_FEATURES)
    push = feast.get_data_source("transaction_windows_push")
    assert isinstance(push, PushSource)
    assert isinstance(push.batch_source, FileSource)
    assert push.batch_source.path == str(embedded / "features" / "transaction_windows.parquet")
    assert (embedded / "feast_registry.db").is_file()
    assert (embedded / "feast_online.db").is_file()
    assert (embedded / "features" / "transaction_windows.parquet").is_file()


def test_apply_is_idempotent(store: FeastFeatureStore) -> None:
    store.push_rows([velocity_row("idem", NOW, 4, 4.5)])

    store.apply()

    assert store.online_features("idem") == served("idem", NOW, txn_count_24h=4, txn_amount_sum_24h=4.5)


def test_rows_pushed_are_served_online_as_the_whole_decision_context(store: FeastFeatureStore) -> None:
    activity = CustomerActivity()
    rows = [
        *activity.observe_transaction(
            "g-online", NOW - 3 * H, 100.0, "t1", channel="mpesa", counterparty="P1"
        ),
        *activity.observe_transaction(
            "g-online", NOW - 2 * H, 250.5, "t2", channel="card", counterparty="P2"
        ),
        *activity.observe_transaction("g-online", NOW - H, 49.5, "t3", channel="mpesa", counterparty="P1"),
        *activity.observe_login(
            "g-online", NOW - H / 2, "l1", success=False, device="d1", location="Nairobi"
        ),
    ]

    store.push_rows(rows)

    online = store.online_features("g-online")
    assert online.event_timestamp == NOW - H / 2
    assert (online.get("txn_count_24h"), online.get("txn_amount_sum_24h")) == (3, 400.0)
    assert (online.get("txn_count_1h"), online.get("txn_count_24h_mpesa")) == (1, 2)
    assert (online.get("distinct_counterparties_7d"), online.get("failed_logins_1h")) == (2, 1)
    assert online == InMemoryFeatureStore(rows, clock=lambda: NOW).online_features("g-online")


def test_absent_gcid_reads_as_none(store: FeastFeatureStore) -> None:
    assert store.online_features("never-pushed") == served("never-pushed")


def test_aggregates_older_than_their_window_read_as_null(store: FeastFeatureStore, clock: _Clock) -> None:
    store.push_rows(
        [velocity_row("g-stale", NOW, 2, 2.0), feature_row("customer_risk", "g-stale", NOW, aml_rating=3)]
    )

    clock.now = NOW + 24 * H
    assert store.online_features("g-stale").get("txn_count_24h") == 2
    clock.now = NOW + 24 * H + timedelta(seconds=1)
    assert store.online_features("g-stale") == served("g-stale", NOW, aml_rating=3)


def test_empty_push_is_a_no_op(store: FeastFeatureStore) -> None:
    store.push_rows([])

    assert store.online_features("nobody-pushed-this") == served("nobody-pushed-this")


def test_historical_decision_context_joins_the_pushed_rows_point_in_time(store: FeastFeatureStore) -> None:
    base = NOW - 72 * H
    activity = CustomerActivity(max_lateness=100 * H)
    store.push_rows(
        [
            *activity.observe_transaction("g-hist", base, 10.0, "h1", channel="mpesa", counterparty=None),
            *activity.observe_transaction(
                "g-hist", base + 2 * H, 5.25, "h2", channel="mpesa", counterparty=None
            ),
            *activity.observe_transaction(
                "g-hist", base + 30 * H, 1.0, "h3", channel="mpesa", counterparty=None
            ),
        ]
    )
    entity_df = pd.DataFrame(
        {
            "gcid": ["g-hist"] * 5 + ["g-none"],
            "event_timestamp": pd.to_datetime(
                [
                    base - timedelta(seconds=1),  # before any row
                    base + H,  # row of h1
                    base + 2 * H,  # row of h2, inclusive
                    base + 26 * H + timedelta(seconds=1),  # row of h2 (the view's ttl is 30 d)
                    base + 31 * H,  # row of h3 (h1, h2 out of its window)
                    base,
                ],
                utc=True,
            ),
        }
    )

    frame = store.service_historical("decision_context_v1", entity_df)

    got = [
        (None if pd.isna(count) else int(count), None if pd.isna(total) else float(total))
        for count, total in zip(frame["txn_count_24h"], frame["txn_amount_sum_24h"], strict=True)
    ]
    assert got == [(None, None), (1, 10.0), (2, 15.25), (2, 15.25), (1, 1.0), (None, None)]
    assert frame["gcid"].tolist() == entity_df["gcid"].tolist()  # every entity row, in order


def test_a_store_whose_repo_was_never_applied_raises_a_feature_store_error(tmp_path: Path) -> None:
    store = FeastFeatureStore(PipelineSettings(run_dir=tmp_path, feast_repo=REPO))

    with pytest.raises(FeatureStoreError) as read_error:
        store.online_features("g1")
    with pytest.raises(FeatureStoreError):
        store.push_rows([velocity_row("g1", NOW, 1, 1.0)])
    assert not isinstance(read_error.value, FeatureStoreUnavailable)
    assert read_error.value.status == 500


def test_the_cli_scans_exactly_the_objects_the_adapter_applies(
    store: FeastFeatureStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))
    try:
        contents = parse_repo(REPO)
    finally:
        sys.modules.pop("repo", None)

    def names(objects: list[object]) -> set[str]:
        return {str(getattr(o, "name", "")) for o in objects}

    applied = names(list(store.repo.objects()))
    scanned = (
        names(list(contents.entities)) - {"__dummy"}
        | names(list(contents.data_sources))
        | names(list(contents.feature_views))
        | names(list(contents.feature_services))
        | names(list(contents.on_demand_feature_views))
    )
    assert scanned == applied
    # no duplicate from a second import path
    assert len(contents.feature_views) == 5
    assert len(contents.on_demand_feature_views) == 1
    assert len(contents.data_sources) == 2 * 5 + 1  # 5 push + 5 file sources + 1 request source

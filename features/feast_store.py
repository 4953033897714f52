"""Feast adapter of the feature ports: push to online + offline, read through a FeatureService.

One :class:`FeastFeatureStore` per process (it owns the ``feast.FeatureStore``; the composition
root builds it from ``BrainSettings``). The profile picks the yaml: ``embedded`` →
``feature_store.yaml`` (SQLite online), ``services`` → ``feature_store.services.yaml`` (Redis).

Known costs (Feast 0.67's file offline store): every offline push rewrites the whole Parquet
file, so push micro-batches, not single rows. SQLite replaces the online row whatever its time,
Redis keeps the newest event time: push rows in event-time order.
"""

from __future__ import annotations

import logging
import sqlite3
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from feast import FeatureStore
from feast.errors import FeastError
from redis.exceptions import RedisError

from feature_repo.catalog import STREAMED_VIEWS, Kind, ViewColumns
from feature_repo.definitions import FeatureRepo, build_feature_repo, feature_data_dir
from feature_repo.sources import view_parquet
from features.activity import FeatureRow, FeatureValue
from features.context import OnlineFeatures, ViewRow, decision_context
from features.errors import FeatureStoreError, FeatureStoreUnavailable
from features.feast_config import render_repo_config
from kernel.settings import BrainSettings

__all__ = ["FeastFeatureStore", "view_schema"]

_log = logging.getLogger(__name__)

_UNAVAILABLE = (OSError, RedisError, sqlite3.Error)
_ARROW: dict[Kind, pa.DataType] = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}
_PANDAS: dict[Kind, str] = {"int64": "Int64", "float64": "float64", "string": "object"}
_SPECS: dict[str, ViewColumns] = {spec.name: spec for spec in STREAMED_VIEWS}


def view_schema(spec: ViewColumns) -> pa.Schema:
    """Columns of a streamed view's Parquet file, in the order Feast's offline write wants."""
    return pa.schema(
        [("gcid", pa.string()), ("event_timestamp", pa.timestamp("us", tz="UTC"))]
        + [(c.name, _ARROW[c.kind]) for c in spec.columns]
    )


def _now() -> datetime:
    return datetime.now(UTC)


class FeastFeatureStore:
    """``FeatureWriter`` and ``FeatureReader`` on a real ``feast.FeatureStore``."""

    def __init__(
        self,
        settings: BrainSettings,
        *,
        project: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        """Build the store for ``settings``' profile. ``project`` overrides the yaml's (tests)."""
        self._clock = clock
        profile_dir = settings.run_dir / settings.profile.value
        self._data_dir = feature_data_dir(settings.run_dir, settings.profile.value)
        self._repo = build_feature_repo(self._data_dir)
        profile_dir.mkdir(parents=True, exist_ok=True)
        self._store = FeatureStore(
            repo_path=str(settings.feast_repo), config=render_repo_config(settings, project=project)
        )
        self._context_views = {
            projection.name: tuple(f.name for f in projection.features)
            for projection in self._repo.decision_context_v1.feature_view_projections
        }

    @property
    def store(self) -> FeatureStore:
        """The process's ``feast.FeatureStore`` (training code and notebooks may use it directly)."""
        return self._store

    @property
    def repo(self) -> FeatureRepo:
        """The objects this store registers, with their Parquet paths under the run dir."""
        return self._repo

    @property
    def data_dir(self) -> Path:
        """Where the offline Parquet files of the views live (``<run_dir>/<profile>/features``)."""
        return self._data_dir

    @property
    def supplied_features(self) -> frozenset[str]:
        """The features of ``decision_context_v1`` (what :meth:`online_features` answers)."""
        return frozenset(name for names in self._context_views.values() for name in names)

    @property
    def project(self) -> str:
        return str(self._store.project)

    def apply(self) -> None:
        """Register the repo (what ``feast apply`` registers) and create missing Parquet files."""
        for spec in STREAMED_VIEWS:
            path = view_parquet(self._data_dir, spec.name)
            if not path.exists():
                _seed_parquet(path, view_schema(spec))
        with warnings.catch_warnings():
            # Feast flags on-demand views as "experimental" on every apply; they are used on purpose.
            warnings.filterwarnings("ignore", "On demand feature view is an experimental", RuntimeWarning)
            self._store.apply(self._repo.objects())
        _log.info("applied feature repo to project %s", self.project)

    def push_rows(self, rows: Sequence[FeatureRow]) -> None:
        """Push streamed-view rows (any views, one call per micro-batch) online, then offline.

        Every view's rows go online first, so a new value is readable before the (slower, whole
        file rewriting) offline appends; both are done when this returns (commit after effect).
        Each streamed view has its own push source, so the rows are written to the view directly
        (``write_to_online_store`` / ``write_to_offline_store``: what Feast's ``push`` does,
        without its per-call registry scan, about 5x faster per micro-batch).
        """
        by_view: dict[str, list[FeatureRow]] = {}
        for row in rows:
            by_view.setdefault(row.view, []).append(row)
        frames = {view: _frame(_SPECS[view], batch) for view, batch in by_view.items()}
        try:
            for view, frame in frames.items():
                self._store.write_to_online_store(view, frame)
            for view, frame in frames.items():
                self._store.write_to_offline_store(view, frame)
        except _UNAVAILABLE as exc:
            raise FeatureStoreUnavailable(f"feature push failed: {exc}") from exc
        except (FeastError, KeyError) as exc:  # e.g. the repo was never applied to this registry
            raise FeatureStoreError(f"feature push failed: {exc!r}") from exc

    def service_online(
        self, service: str, entity_rows: Sequence[Mapping[str, str | float]]
    ) -> dict[str, list[FeatureValue]]:
        """Online values of the feature service ``service`` (e.g. ``fraud_v1``) for ``entity_rows``
        (``gcid`` plus the request fields its on-demand views need)."""
        try:
            response = self._store.get_online_features(
                features=self._repo.feature_service(service), entity_rows=[dict(r) for r in entity_rows]
            )
        except _UNAVAILABLE as exc:
            raise FeatureStoreUnavailable(f"online feature read failed: {exc}") from exc
        except FeastError as exc:
            raise FeatureStoreError(f"online feature read failed: {exc}") from exc
        values: dict[str, list[FeatureValue]] = response.to_dict()
        return values

    def service_historical(self, service: str, entity_df: pd.DataFrame) -> pd.DataFrame:
        """Point-in-time join of the feature service ``service`` onto ``entity_df`` (``gcid``,
        ``event_timestamp`` and the request fields of its on-demand views), in ``entity_df``'s order.

        Joined one feature view at a time: Feast 0.67's Dask join drops an entity row from the
        whole result when one view has rows for the GCID but none within its ttl, which would
        lose the other views' values. On-demand views are then computed from the joined inputs
        with their own transformation (the function the online path runs).
        """
        feature_service = self._repo.feature_service(service)
        entity = entity_df.reset_index(drop=True).copy()
        entity["event_timestamp"] = pd.to_datetime(entity["event_timestamp"], utc=True)
        entity["_row"] = range(len(entity))
        keys = entity[["gcid", "event_timestamp", "_row"]]
        wanted: dict[str, list[str]] = {}  # view -> features the service serves
        needed: dict[str, set[str]] = {}  # view -> features to join (served + on-demand inputs)
        on_demand = []
        for projection in feature_service.feature_view_projections:
            names = [f.name for f in projection.features]
            if projection.name == self._repo.transaction_request.name:
                on_demand.append(names)
                for source in self._repo.transaction_request.source_feature_view_projections.values():
                    needed.setdefault(source.name, set()).update(f.name for f in source.features)
            else:
                wanted[projection.name] = names
                needed.setdefault(projection.name, set()).update(names)
        joined_columns: dict[str, pd.Series] = {}
        for view, inputs_of_view in needed.items():
            refs = [f"{view}:{name}" for name in sorted(inputs_of_view)]
            job = self._store.get_historical_features(entity_df=keys, features=refs)
            found = job.to_df().drop_duplicates(subset=["_row"], keep="last").set_index("_row")
            for name in inputs_of_view:
                joined_columns[name] = found[name].reindex(range(len(entity)))
        frame = entity.copy()
        for names in wanted.values():
            for name in names:
                frame[name] = joined_columns[name].to_numpy()
        for names in on_demand:
            inputs = {
                column: [None if pd.isna(v) else v for v in values]
                for column, values in {
                    **{c: entity[c].tolist() for c in entity.columns if c not in ("gcid", "event_timestamp")},
                    **{c: s.tolist() for c, s in joined_columns.items()},
                }.items()
            }
            outputs = self._repo.transaction_request.transform_dict(inputs)
            for name in names:
                frame[name] = pd.Series(outputs[name], dtype="float64").to_numpy()
        return frame.drop(columns="_row")

    def online_features(self, gcid: str) -> OnlineFeatures:
        """The decision context of ``gcid`` (``decision_context_v1`` through Feast's
        ``get_online_features``, each view's row time from the response)."""
        try:
            response = self._store.get_online_features(
                features=self._repo.decision_context_v1, entity_rows=[{"gcid": gcid}]
            )
        except _UNAVAILABLE as exc:
            raise FeatureStoreUnavailable(f"online feature read failed: {exc}") from exc
        except FeastError as exc:  # e.g. the repo was never applied to this registry
            raise FeatureStoreError(f"online feature read failed: {exc}") from exc
        values = response.to_dict()
        proto = response.proto
        index = {name: i for i, name in enumerate(proto.metadata.feature_names.val)}
        rows: dict[str, ViewRow] = {}
        for view, names in self._context_views.items():
            stamp = proto.results[index[names[0]]].event_timestamps[0]
            if stamp.seconds == 0 and stamp.nanos == 0:
                continue
            as_of = datetime.fromtimestamp(stamp.seconds, UTC) + timedelta(microseconds=stamp.nanos // 1000)
            rows[view] = (as_of, {name: values[name][0] for name in names})
        return decision_context(gcid, rows, self._clock())

    def refresh_registry(self) -> None:
        """Reload the registry now instead of at the next cache expiry (``cache_ttl_seconds``)."""
        self._store.refresh_registry()  # type: ignore[no-untyped-call]


def _frame(spec: ViewColumns, rows: Sequence[FeatureRow]) -> pd.DataFrame:
    columns: dict[str, object] = {
        "gcid": [r.gcid for r in rows],
        "event_timestamp": pd.to_datetime([r.event_timestamp for r in rows], utc=True),
    }
    for c in spec.columns:
        columns[c.name] = pd.Series([r.values.get(c.name) for r in rows], dtype=_PANDAS[c.kind])
    return pd.DataFrame(columns)


def _seed_parquet(path: Path, schema: pa.Schema) -> None:
    """An empty Parquet file with the view's schema: Feast's offline write appends to an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(schema.empty_table(), tmp)
    tmp.replace(path)

"""The decision path's online feature reads, straight from Feast's online store: the
``decision_context_v1`` service for the rules (:meth:`DirectOnlineFeatures.online_features`), and
a model's feature service (``fraud_v1``, ``credit_v1``) for its score
(:meth:`DirectOnlineFeatures.service_online`).

``FeatureStore.get_online_features`` resolves the service through the registry, builds request
protos and a response proto and converts it to a dict on every call: about two thirds of its CPU
per single-entity read. This reader asks Feast's configured online store for a service's feature
views of one entity instead: on Redis all the views in one pipelined round trip (they live in the
entity's one hash; Feast's own key, field and value encoding, as its ``online_read`` does for one
view), elsewhere one ``online_read`` per view.

* The decision context goes through :func:`features.decision_context` (view ttl, windows
  elapsed), as :meth:`FeastFeatureStore.online_features` does, whose answers it reproduces.
* A model's service: values older than a view's ttl null (as in Feast's read and in the
  point-in-time training rows), then its on-demand view's own transformation (``transform_dict``)
  on the request fields and those values.

Tests compare both reads with Feast's ``get_online_features``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feast import FeatureView
from feast.errors import FeastError
from feast.infra.online_stores.redis import RedisClient, RedisOnlineStore, _versioned_fv_name
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from redis.exceptions import RedisError

from feature_repo.services import DECISION_CONTEXT_V1
from features import OnlineFeatures, ViewRow, decision_context
from features.errors import FeatureStoreError, FeatureStoreUnavailable
from features.feast_store import FeastFeatureStore

__all__ = ["DirectOnlineFeatures", "EntityFeatures"]

_UNAVAILABLE = (OSError, RedisError, sqlite3.Error)


@dataclass(frozen=True, slots=True)
class _ViewRead:
    view: FeatureView
    read: tuple[str, ...]  # served features and the on-demand view's inputs
    served: tuple[str, ...]
    ttl: timedelta | None


@dataclass(frozen=True, slots=True)
class _ServicePlan:
    views: tuple[_ViewRead, ...]
    on_demand: tuple[tuple[OnDemandFeatureView, tuple[str, ...]], ...]


class DirectOnlineFeatures:
    """``FeatureReader.online_features`` and ``ModelFeatureReader.service_online`` on the online
    store of a :class:`FeastFeatureStore`."""

    def __init__(self, store: FeastFeatureStore) -> None:
        self._store = store
        self._feast = store.store
        self._plans: dict[str, _ServicePlan] = {}
        # service -> per view of its plan (versioned name, requested names, Redis hash fields)
        self._fields: dict[str, list[tuple[str, list[str], list[str | bytes]]]] = {}
        self._context = self._plan(DECISION_CONTEXT_V1)
        if self._context.on_demand:
            raise FeatureStoreError(f"{DECISION_CONTEXT_V1} has on-demand views: not a by-GCID read")

    @property
    def supplied_features(self) -> frozenset[str]:
        """The features of ``decision_context_v1`` (what :meth:`online_features` answers)."""
        return frozenset(name for view in self._context.views for name in view.served)

    def online_features(self, gcid: str) -> OnlineFeatures:
        return self.read_entity(gcid).decision_context()

    def read_entity(self, gcid: str) -> EntityFeatures:
        """Every streamed view's row of ``gcid`` in one read (one pipelined round trip on Redis):
        the decision context and the models' feature services are then served from it."""
        rows = self._read(gcid, DECISION_CONTEXT_V1, self._context.views)
        return EntityFeatures(self, gcid, rows, datetime.now(UTC))

    def service_online(
        self, service: str, entity_rows: Sequence[Mapping[str, str | float]]
    ) -> dict[str, list[object]]:
        """Values of the feature service ``service`` for one entity row (``gcid`` and the request
        fields of its on-demand views); several rows go through Feast's own read."""
        if len(entity_rows) != 1:
            return {k: list(v) for k, v in self._store.service_online(service, entity_rows).items()}
        (row,) = entity_rows
        rows = self._read(str(row["gcid"]), service, self._plan(service).views)
        return self.serve(service, rows, row, datetime.now(UTC))

    def covers(self, service: str, rows: Mapping[str, ViewRow]) -> bool:
        """``rows`` hold every view ``service`` reads."""
        plan = self._plan(service)
        return all(part.view.name in rows for part in plan.views)

    def serve(
        self, service: str, rows: Mapping[str, ViewRow], row: Mapping[str, str | float], now: datetime
    ) -> dict[str, list[object]]:
        """The values of ``service`` for one entity row from its views' rows (read before): each
        view's values null when older than its ttl, then the on-demand views' transformation."""
        plan = self._plan(service)
        read: dict[str, object] = {}
        out: dict[str, list[object]] = {"gcid": [str(row["gcid"])]}
        for part in plan.views:
            if part.view.name not in rows:
                raise FeatureStoreError(f"{service}: view {part.view.name} was not read")
            stamp, values = rows[part.view.name]
            if values is not None and stamp is not None and part.ttl is not None:
                values = values if now - stamp <= part.ttl else None
            for name in part.read:
                read[name] = None if values is None or stamp is None else values.get(name)
            for name in part.served:
                out[name] = [read[name]]
        for view, served in plan.on_demand:
            inputs = {k: [v] for k, v in {**row, **read}.items() if k != "gcid"}
            outputs = view.transform_dict(inputs)
            for name in served:
                out[name] = [outputs[name][0]]
        return out

    def _read(self, gcid: str, service: str, views: Sequence[_ViewRead]) -> dict[str, ViewRow]:
        """The rows of ``views`` (the plan of ``service``) for ``gcid``, decoded; a store that
        fails is :class:`FeatureStoreUnavailable`, a registry problem :class:`FeatureStoreError`."""
        key = EntityKey(join_keys=["gcid"], entity_values=[Value(string_val=gcid)])
        try:
            replies = self._read_views(key, service, views)
        except _UNAVAILABLE as exc:
            raise FeatureStoreUnavailable(f"online feature read failed: {exc}") from exc
        except FeastError as exc:
            raise FeatureStoreError(f"online feature read failed: {exc}") from exc
        return _decoded(views, replies)

    def _read_views(
        self, key: EntityKey, service: str, views: Sequence[_ViewRead]
    ) -> list[tuple[datetime | None, dict[str, Value] | None]]:
        """Each view's ``(timestamp, values)`` for one entity. On Redis all views live in the
        entity's one hash: one pipelined round trip through Feast's own key, field and value
        encoding (its ``online_read`` does the same for one view); elsewhere one read per view."""
        online: Any = self._feast._get_provider().online_store
        config = self._feast.config
        if not isinstance(online, RedisOnlineStore) or config.online_store.client != RedisClient.redis:
            return [online.online_read(config, v.view, [key], list(v.read))[0] for v in views]
        (redis_key,) = online._generate_redis_keys_for_entities(config, [key])
        fields = self._fields.get(service)
        if fields is None:  # the hash fields of a plan's views (murmur3 of each name) never change
            fields = []
            for v in views:
                name = _versioned_fv_name(v.view, config)
                requested, hset_keys = online._generate_hset_keys_for_features(v.view, list(v.read), name)
                fields.append((name, requested, hset_keys))
            self._fields[service] = fields
        replies = online._read_hash_fields(config, [(redis_key, hset_keys) for _, _, hset_keys in fields])
        return [
            online._get_features_for_entity(reply, name, requested)
            for (name, requested, _), reply in zip(fields, replies, strict=True)
        ]

    def _plan(self, service: str) -> _ServicePlan:
        """The views ``service`` reads and serves (built once per service)."""
        cached = self._plans.get(service)
        if cached is not None:
            return cached
        repo = self._store.repo
        reads: dict[str, tuple[set[str], list[str]]] = {}  # view -> (to read, served)
        on_demand: list[tuple[OnDemandFeatureView, tuple[str, ...]]] = []
        try:
            feature_service = repo.feature_service(service)
        except KeyError as exc:
            raise FeatureStoreError(f"no feature service {service}") from exc
        for projection in feature_service.feature_view_projections:
            names = [f.name for f in projection.features]
            if projection.name == repo.transaction_request.name:
                on_demand.append((repo.transaction_request, tuple(names)))
                for source in repo.transaction_request.source_feature_view_projections.values():
                    reads.setdefault(source.name, (set(), []))[0].update(f.name for f in source.features)
            else:
                to_read, served = reads.setdefault(projection.name, (set(), []))
                to_read.update(names)
                served.extend(names)
        views = []
        for name, (to_read, served) in reads.items():
            try:
                view = repo.view(name)
            except KeyError as exc:
                raise FeatureStoreError(f"{service}: no direct read for view {name}") from exc
            views.append(_ViewRead(view, tuple(sorted(to_read)), tuple(served), view.ttl or None))
        plan = _ServicePlan(tuple(views), tuple(on_demand))
        self._plans[service] = plan
        return plan


@dataclass(frozen=True, slots=True)
class EntityFeatures:
    """Every streamed view's row of one GCID as read at ``read_at``
    (:meth:`DirectOnlineFeatures.read_entity`)."""

    reader: DirectOnlineFeatures
    gcid: str
    rows: Mapping[str, ViewRow]
    read_at: datetime

    def decision_context(self) -> OnlineFeatures:
        return decision_context(self.gcid, self.rows, self.read_at)

    def service(self, service: str, request: Mapping[str, str | float]) -> dict[str, list[object]]:
        """The values of the feature service ``service`` (a model's inputs) with the request's
        fields: no further read (a service with a view on another entity reads it on its own)."""
        row = {**request, "gcid": self.gcid}
        if not self.reader.covers(service, self.rows):
            return self.reader.service_online(service, [row])
        return self.reader.serve(service, self.rows, row, self.read_at)


def _decoded(
    views: Sequence[_ViewRead], replies: Sequence[tuple[datetime | None, dict[str, Value] | None]]
) -> dict[str, ViewRow]:
    """The views' rows as the decision context and :meth:`DirectOnlineFeatures.serve` take them:
    tz-aware times and plain values of the features each view was read for."""
    out: dict[str, ViewRow] = {}
    for part, (stamp, values) in zip(views, replies, strict=True):
        if stamp is None or values is None:
            out[part.view.name] = (None, None)
            continue
        as_of = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
        out[part.view.name] = (as_of, {name: _value(values.get(name)) for name in part.read})
    return out


def _value(proto: Value | None) -> int | float | None:
    if proto is None:
        return None
    kind = proto.WhichOneof("val")
    if kind is None or kind == "null_val":
        return None
    value: int | float = getattr(proto, kind)
    return value

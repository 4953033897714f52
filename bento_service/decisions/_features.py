"""The decision path's online feature read: the ``customer_profile_v1`` service straight from
Feast's online store.

``FeatureStore.get_online_features`` resolves the service through the registry, builds request
protos and a response proto and converts it to a dict on every call: about two thirds of its CPU
per single-entity read. The service is one feature view (``transaction_velocity``), so this
reader asks Feast's configured online store (``OnlineStore.online_read``: the same Redis keys,
serialisation and value decoding) for that view's features of one entity and applies the same
ttl rule as :meth:`FeastFeatureStore.online_features`, whose answers it reproduces (a test
compares both).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from feast.errors import FeastError
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from redis.exceptions import RedisError

from pipelines.features import OnlineFeatures
from pipelines.features.errors import FeatureStoreError, FeatureStoreUnavailable
from pipelines.features.feast_store import FeastFeatureStore

__all__ = ["DirectOnlineFeatures"]

_UNAVAILABLE = (OSError, RedisError, sqlite3.Error)
_FEATURES = ["txn_count_24h", "txn_amount_sum_24h"]


class DirectOnlineFeatures:
    """``FeatureReader.online_features`` on the online store of a :class:`FeastFeatureStore`."""

    def __init__(self, store: FeastFeatureStore) -> None:
        self._store = store
        self._feast = store.store
        self._view = store.repo.transaction_velocity
        ttl = self._view.ttl
        self._ttl: timedelta | None = ttl if ttl else None
        service = {
            f.name for p in store.repo.customer_profile_v1.feature_view_projections for f in p.features
        }
        if service != set(_FEATURES):  # the service changed: this shortcut would serve the wrong thing
            raise FeatureStoreError(f"customer_profile_v1 serves {sorted(service)}, expected {_FEATURES}")

    def online_features(self, gcid: str) -> OnlineFeatures:
        key = EntityKey(join_keys=["gcid"], entity_values=[Value(string_val=gcid)])
        try:
            online: Any = self._feast._get_provider().online_store
            ((stamp, values),) = online.online_read(
                self._feast.config, self._view, [key], list(_FEATURES)
            )  # it appends to the list
        except _UNAVAILABLE as exc:
            raise FeatureStoreUnavailable(f"online feature read failed: {exc}") from exc
        except FeastError as exc:
            raise FeatureStoreError(f"online feature read failed: {exc}") from exc
        if stamp is None or values is None:
            return OnlineFeatures(gcid=gcid)
        as_of = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
        if self._ttl is not None and datetime.now(UTC) - as_of > self._ttl:
            return OnlineFeatures(gcid=gcid)
        count = _value(values.get("txn_count_24h"))
        total = _value(values.get("txn_amount_sum_24h"))
        return OnlineFeatures(
            gcid=gcid,
            txn_count_24h=None if count is None else int(count),
            txn_amount_sum_24h=None if total is None else float(total),
            event_timestamp=as_of,
        )


def _value(proto: Value | None) -> int | float | None:
    if proto is None:
        return None
    kind = proto.WhichOneof("val")
    if kind is None or kind == "null_val":
        return None
    value: int | float = getattr(proto, kind)
    return value

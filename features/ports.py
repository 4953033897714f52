"""Ports of the feature layer: what processors write and what the API reads.

Adapters: :class:`features.memory.InMemoryFeatureStore` (tests, fakes) and
:class:`features.feast_store.FeastFeatureStore` (Feast: SQLite or Redis online,
Parquet offline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from features.activity import FeatureRow
from features.window import VelocityRow

__all__ = ["FeatureReader", "FeatureWriter", "OnlineFeatures"]


@dataclass(frozen=True, slots=True)
class OnlineFeatures:
    """The online values of the ``customer_profile_v1`` service for one GCID.

    Every value is ``None`` when the GCID has no row, or when its row is older than the view's
    ttl (24 h: the offline point-in-time join answers null in that case too). ``event_timestamp``
    is the time the row is as of (``None`` together with the values).
    """

    gcid: str
    txn_count_24h: int | None = None
    txn_amount_sum_24h: float | None = None
    event_timestamp: datetime | None = None

    @property
    def found(self) -> bool:
        return self.event_timestamp is not None


class FeatureWriter(Protocol):
    def push(self, rows: Sequence[VelocityRow]) -> None:
        """Write rows to the online and the offline store; one call per micro-batch."""
        ...

    def push_rows(self, rows: Sequence[FeatureRow]) -> None:
        """Write rows of the streamed views (``feature_repo.catalog``), online and offline."""
        ...


class FeatureReader(Protocol):
    def online_features(self, gcid: str) -> OnlineFeatures: ...

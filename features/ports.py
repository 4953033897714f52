"""Ports of the feature layer: what processors write and what the API reads.

Adapters: :class:`features.memory.InMemoryFeatureStore` (tests, fakes) and
:class:`features.feast_store.FeastFeatureStore` (Feast: SQLite or Redis online, Parquet offline);
the API's decision path reads Feast's online store directly
(``bento_service.decisions.DirectOnlineFeatures``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from features.activity import FeatureRow
from features.context import OnlineFeatures

__all__ = ["FeatureReader", "FeatureWriter", "OnlineFeatures"]


class FeatureWriter(Protocol):
    def push_rows(self, rows: Sequence[FeatureRow]) -> None:
        """Write rows of the streamed views (``feature_repo.catalog``), online and offline; one
        call per micro-batch."""
        ...


class FeatureReader(Protocol):
    @property
    def supplied_features(self) -> frozenset[str]:
        """The feature names this reader's :meth:`online_features` answers with (a rule set
        naming any other feature is refused when it loads)."""
        ...

    def online_features(self, gcid: str) -> OnlineFeatures:
        """The decision context of ``gcid`` (:func:`features.decision_context`)."""
        ...

"""Streaming features by GCID: the pure aggregator of the streamed views, the decision context
(the rules' feature vocabulary as served), the ports and the in-memory adapter.

The Feast adapter lives in :mod:`features.feast_store` and is imported explicitly by the
composition roots (importing Feast takes seconds; this package stays light).
"""

from features.activity import CustomerActivity, FeatureRow, FeatureValue
from features.context import DECISION_FEATURES, OnlineFeatures, ViewRow, decision_context
from features.errors import FeatureStoreError, FeatureStoreUnavailable
from features.memory import InMemoryFeatureStore
from features.ports import FeatureReader, FeatureWriter

__all__ = [
    "DECISION_FEATURES",
    "CustomerActivity",
    "FeatureReader",
    "FeatureRow",
    "FeatureStoreError",
    "FeatureStoreUnavailable",
    "FeatureValue",
    "FeatureWriter",
    "InMemoryFeatureStore",
    "OnlineFeatures",
    "ViewRow",
    "decision_context",
]

"""Streaming features by GCID: the pure window aggregator, the ports and the in-memory adapter.

The Feast adapter lives in :mod:`features.feast_store` and is imported explicitly by the
composition roots (importing Feast takes seconds; this package stays light).
"""

from features.activity import CustomerActivity, FeatureRow, FeatureValue
from features.errors import FeatureStoreError, FeatureStoreUnavailable
from features.memory import InMemoryFeatureStore
from features.ports import FeatureReader, FeatureWriter, OnlineFeatures
from features.window import WINDOW, TransactionVelocity, VelocityRow

__all__ = [
    "WINDOW",
    "CustomerActivity",
    "FeatureRow",
    "FeatureValue",
    "FeatureReader",
    "FeatureStoreError",
    "FeatureStoreUnavailable",
    "FeatureWriter",
    "InMemoryFeatureStore",
    "OnlineFeatures",
    "TransactionVelocity",
    "VelocityRow",
]

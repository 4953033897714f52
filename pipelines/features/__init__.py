"""Streaming features by GCID: the pure window aggregator, the ports and the in-memory adapter.

The Feast adapter lives in :mod:`pipelines.features.feast_store` and is imported explicitly by the
composition roots (importing Feast takes seconds; this package stays light).
"""

from pipelines.features.activity import CustomerActivity, FeatureRow, FeatureValue
from pipelines.features.errors import FeatureStoreError, FeatureStoreUnavailable
from pipelines.features.memory import InMemoryFeatureStore
from pipelines.features.ports import FeatureReader, FeatureWriter, OnlineFeatures
from pipelines.features.window import WINDOW, TransactionVelocity, VelocityRow

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

"""Identity resolution: every source record → one Global Customer ID (GCID).

The domain core: it imports no Kafka, Redis, Feast, BentoML or MLflow. Storage is a port
(:class:`IdentityGraph`); the SQL adapter lives in :mod:`pipelines.storage.identity_graph`.
"""

from identity._graph import IdentityGraph, InMemoryIdentityGraph, StoredRecord
from identity._matching import Evidence, MatchDecision, match, name_key
from identity._record import IdentityRecord, SourceRecordRef
from identity._resolver import MATCHER_VERSION, Resolution, new_gcid, resolve

__all__ = [
    "MATCHER_VERSION",
    "Evidence",
    "IdentityGraph",
    "IdentityRecord",
    "InMemoryIdentityGraph",
    "MatchDecision",
    "Resolution",
    "SourceRecordRef",
    "StoredRecord",
    "match",
    "name_key",
    "new_gcid",
    "resolve",
]

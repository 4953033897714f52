"""Identity resolution: every source record → one Global Customer ID (GCID).

The domain core: it imports no Kafka, Redis, Feast, BentoML or MLflow. Storage is a port
(:class:`IdentityGraph`); the SQL adapter lives in :mod:`pipelines.identity_graph`.
"""

from identity._blocking import key_function
from identity._comparisons import FieldRecord
from identity._graph import IdentityGraph, InMemoryIdentityGraph, StoredRecord
from identity._linker import (
    Link,
    Linker,
    OnlineResult,
    blocked_pairs,
    bulk_clusters,
    reference_bulk_clusters,
)
from identity._mapping import FileMapping, SourceMapping, standardise
from identity._matching import Evidence, MatchDecision, match, name_key
from identity._operations import MergeOutcome, SplitOutcome, fields_of, merge_gcids, split_gcid
from identity._record import IdentityRecord, SourceRecordRef
from identity._resolver import MATCHER_VERSION, Resolution, new_gcid, resolve
from identity._scoring import ComparisonEvidence, MatchExplanation, Scorer
from identity._settings import (
    FIELDS,
    BlockingRule,
    Comparison,
    Exclusion,
    IdentitySettings,
    Level,
    block_on,
    default_settings,
)
from identity._training import train
from identity._wekeza import DEFAULT_SETTINGS_PATH, load_default_settings, load_settings, wekeza_settings

__all__ = [
    "DEFAULT_SETTINGS_PATH",
    "load_default_settings",
    "load_settings",
    "wekeza_settings",
    "FIELDS",
    "BlockingRule",
    "Comparison",
    "Exclusion",
    "ComparisonEvidence",
    "FieldRecord",
    "FileMapping",
    "IdentitySettings",
    "Level",
    "Link",
    "Linker",
    "MatchExplanation",
    "OnlineResult",
    "Scorer",
    "SourceMapping",
    "block_on",
    "blocked_pairs",
    "bulk_clusters",
    "default_settings",
    "key_function",
    "standardise",
    "train",
    "reference_bulk_clusters",
    "MergeOutcome",
    "SplitOutcome",
    "fields_of",
    "merge_gcids",
    "split_gcid",
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

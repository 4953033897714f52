"""Source connectors: capture changes of the bank's databases, map them to canonical events.

Capture modes: PostgreSQL logical decoding (:class:`PgLogicalSource`), MySQL/MariaDB binlog
(:class:`BinlogSource`), watermark polling (:class:`PollingSource`) with periodic
:func:`reconcile` (row counts and checksums per key range). Mappings are YAML files under
``mappings/<system>/<table>.yaml`` (:class:`TableMapping`); :class:`Connector` runs one source.
"""

from pipelines.connectors._binlog import BinlogSource
from pipelines.connectors._factory import SYSTEMS, build_connector, card_key, source_url
from pipelines.connectors._mapper import Change, Mapper
from pipelines.connectors._mapping import TableMapping, load_mapping, load_mappings
from pipelines.connectors._pg_cdc import PgLogicalSource
from pipelines.connectors._polling import PollingSource
from pipelines.connectors._reconcile import ReconcileReport, TableReport, reconcile, reconcile_name
from pipelines.connectors._runner import Connector, StepResult
from pipelines.connectors._source import Batch, ChangeSource
from pipelines.connectors._store import ConnectorState, ConnectorStore, RawRecord
from pipelines.connectors.errors import ConnectorError, MappingError, RowError

__all__ = [
    "SYSTEMS",
    "Batch",
    "BinlogSource",
    "Change",
    "ChangeSource",
    "Connector",
    "ConnectorError",
    "ConnectorState",
    "ConnectorStore",
    "Mapper",
    "MappingError",
    "PgLogicalSource",
    "PollingSource",
    "RawRecord",
    "ReconcileReport",
    "RowError",
    "StepResult",
    "TableMapping",
    "TableReport",
    "build_connector",
    "card_key",
    "load_mapping",
    "load_mappings",
    "reconcile",
    "reconcile_name",
    "source_url",
]

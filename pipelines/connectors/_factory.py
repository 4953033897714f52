"""Connectors built from settings: which system is read how, from where."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine.url import make_url

from kernel.transport import EventPublisher
from pipelines.connectors._binlog import BinlogSource
from pipelines.connectors._mapping import TableMapping, load_mappings
from pipelines.connectors._pg_cdc import PgLogicalSource
from pipelines.connectors._polling import PollingSource
from pipelines.connectors._runner import Connector
from pipelines.connectors._shapes import adapt_mappings, table_columns
from pipelines.connectors._snapshot import SnapshotMode
from pipelines.connectors._source import ChangeSource
from pipelines.connectors._store import ConnectorStore
from pipelines.connectors.errors import ConnectorError
from pipelines.settings import PipelineSettings

__all__ = ["SYSTEMS", "SystemSpec", "build_connector", "card_key", "source_url"]


@dataclass(frozen=True, slots=True)
class SystemSpec:
    mode: str
    default_url: str
    schema: str = "public"
    mappings: str | None = None  # another system's mappings (a second database of that system)


_PG = "postgresql+psycopg://brain:brain@127.0.0.1:5432/"

#: Systems with mappings, their capture mode and the local (simulator) database. Local names
#: differ from production where two systems share one (OpenBanking's ``wekeza_banking`` is v5's).
SYSTEMS: dict[str, SystemSpec] = {
    "v5": SystemSpec("pg_logical", _PG + "wekeza_banking"),
    "dfs": SystemSpec("mysql_binlog", "mysql+pymysql://brain:brain@127.0.0.1:3306/wekeza_dfs_db"),
    "crm": SystemSpec("watermark_poll", _PG + "wekeza_crm"),
    # v1-Core WekezaCoreDB: two shapes (SQL seeds/full DDL; EF migrations), adapted at start
    "v1_core": SystemSpec("pg_logical", _PG + "wekeza_core"),
    "v1_core_ef": SystemSpec("pg_logical", _PG + "wekeza_core_ef", mappings="v1_core"),  # simulator
    "openbanking": SystemSpec("pg_logical", _PG + "wekeza_openbanking"),  # prod: wekeza_banking
    "global": SystemSpec("pg_logical", _PG + "wgi_db"),
    "salama": SystemSpec("pg_logical", _PG + "salama_security", schema="salama_security"),
    "wekezabank": SystemSpec("pg_logical", _PG + "transactions_db"),
    "identity_intel": SystemSpec("pg_logical", _PG + "identity_intelligence"),
}


def card_key(settings: PipelineSettings) -> bytes:
    """The HMAC key of card hashes: from settings, else one generated once under the run dir."""
    if settings.card_hash_key is not None:
        return settings.card_hash_key.get_secret_value().encode()
    path: Path = settings.run_dir / settings.profile.value / "connectors" / "card_hash.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def source_url(system: str, settings: PipelineSettings) -> str:
    if system not in SYSTEMS:
        raise ConnectorError(f"unknown system {system!r} (known: {', '.join(SYSTEMS)})")
    return settings.connector_sources.get(system, SYSTEMS[system].default_url)


def _source(
    system: str,
    name: str,
    url: str,
    mappings: list[TableMapping],
    mode: str,
    snapshot: SnapshotMode,
    snapshot_page: int,
) -> ChangeSource:
    parsed = make_url(url)
    tables = {m.table for m in mappings}
    if mode == "pg_logical":
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        slot = f"eb_{name}".replace("-", "_").replace(".", "_").lower()
        keys = {m.table: m.key for m in reversed(mappings)}  # the first mapping of a table wins
        return PgLogicalSource(
            dsn,
            slot,
            tables,
            schema=SYSTEMS[system].schema,
            snapshot=snapshot,
            snapshot_page=snapshot_page,
            keys=keys,
        )
    if mode == "mysql_binlog":
        return BinlogSource(
            parsed.host or "127.0.0.1",
            parsed.port or 3306,
            parsed.username or "",
            parsed.password or "",
            parsed.database or "",
            tables,
            name,
            snapshot=snapshot,
            snapshot_page=snapshot_page,
            keys={m.table: m.key for m in reversed(mappings)},
        )
    engine: Engine = create_engine(url, pool_pre_ping=True, pool_size=2)
    return PollingSource(engine, load_mappings(SYSTEMS[system].mappings or system))


def build_connector(
    system: str,
    settings: PipelineSettings,
    ops_engine: Engine,
    publisher: EventPublisher,
    *,
    url: str | None = None,
    name: str | None = None,
    mode: str | None = None,
    batch_size: int = 2000,
    snapshot: SnapshotMode | None = None,
) -> Connector:
    """``system``'s connector; ``snapshot`` (default: settings) applies to CDC modes' first start."""
    if system not in SYSTEMS:
        raise ConnectorError(f"unknown system {system!r} (known: {', '.join(SYSTEMS)})")
    mappings = load_mappings(SYSTEMS[system].mappings or system)
    url = url or source_url(system, settings)
    name = name or system
    mode = mode or SYSTEMS[system].mode
    if mode == "pg_logical":  # fit the mappings to the schema shape the database really has
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        columns = table_columns(dsn, SYSTEMS[system].schema, {m.table for m in mappings})
        mappings, _notes = adapt_mappings(mappings, columns)
    source = _source(
        system,
        name,
        url,
        list(mappings),
        mode,
        snapshot or settings.connector_snapshot,
        settings.connector_snapshot_page,
    )
    return Connector(
        name, source, mappings, publisher, ConnectorStore(ops_engine), card_key(settings), batch_size
    )

"""Settings of the pipeline deployable (connectors, processors, simulator).

One class, one env prefix (``EB_``), read once through :func:`get_pipeline_settings`: the shared
store locations of :class:`kernel.settings.BrainSettings` plus what only the pipeline process reads.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kernel.settings import BrainSettings, Profile

__all__ = ["PipelineSettings", "Profile", "get_pipeline_settings"]


class PipelineSettings(BrainSettings):
    model_config = SettingsConfigDict(env_prefix="EB_", extra="forbid", frozen=True)

    postgres_admin_url: str = "postgresql+psycopg://brain:brain@127.0.0.1:5432/postgres"
    card_hash_key: SecretStr | None = Field(
        default=None,
        description="HMAC key of card-number hashes (≥16 bytes); unset: a key generated under run_dir.",
    )
    connector_sources: dict[str, str] = Field(
        default_factory=dict,
        description="Connector source URLs by system (JSON object, e.g. v5 → a PostgreSQL URL); "
        "unset systems use the local simulator databases.",
    )
    connector_reconcile_interval_s: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between reconciliations of polled sources in `brain connectors run` "
        "(0: never; `brain connectors reconcile` runs one on demand).",
    )
    connector_snapshot: Literal["initial", "never"] = Field(
        default="initial",
        description="CDC connectors (PostgreSQL, binlog) on first start: `initial` reads the rows "
        "already in the mapped tables (key order, paged, resumable) before streaming changes; "
        "`never` captures only changes from then on.",
    )
    connector_snapshot_page: int = Field(
        default=5000, ge=1, description="Rows per page (and per commit) of an initial snapshot."
    )
    connector_reconcile_ranges: int = Field(
        default=64, ge=1, description="Key ranges compared per table by reconciliation."
    )
    consumer_group_prefix: str = "brain"
    metrics_port: int = Field(default=9464, ge=0, le=65535, description="0 disables the metrics server.")
    poll_timeout_ms: int = Field(default=200, ge=1)


@lru_cache(maxsize=1)
def get_pipeline_settings() -> PipelineSettings:
    return PipelineSettings()

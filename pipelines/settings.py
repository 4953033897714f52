"""Settings of the pipeline deployable (connectors, processors, simulator, CLI).

One class, one env prefix (``EB_``), read once through :func:`get_pipeline_settings`. The
``profile`` switch chooses between the two columns of the architecture:

* ``embedded`` (default): SQLite, Feast local provider, local MLflow store, in-process transport.
* ``services``: Kafka, PostgreSQL, Feast with the Redis online store, MLflow on PostgreSQL.

Any field left unset gets the default of its profile; an explicit value always wins.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PipelineSettings", "Profile", "get_pipeline_settings"]


class Profile(StrEnum):
    EMBEDDED = "embedded"
    SERVICES = "services"


class PipelineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EB_", extra="forbid", frozen=True)

    profile: Profile = Profile.EMBEDDED
    run_dir: Path = Field(default=Path(".run"), description="Where local data, logs and stores live.")

    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the operational DB.")
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_client_id: str = "wekeza-brain"
    topic_prefix: str = Field(
        default="", description="Prefix of every Kafka topic name (isolated environments)."
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    feast_repo: Path = Path("feature_repo")
    mlflow_tracking_uri: str | None = None
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
    identity_settings_path: Path | None = Field(
        default=None,
        description="Trained IdentitySettings JSON (brain identity resolve --save-settings); "
        "unset: the shipped Wekeza settings (identity/settings/wekeza_default.json).",
    )

    @model_validator(mode="after")
    def _profile_defaults(self) -> PipelineSettings:
        run_dir = self.run_dir.resolve()
        object.__setattr__(self, "run_dir", run_dir)
        object.__setattr__(self, "feast_repo", self.feast_repo.resolve())
        if self.database_url is None:
            url = (
                f"sqlite:///{run_dir / 'embedded' / 'brain.db'}"
                if self.profile is Profile.EMBEDDED
                else "postgresql+psycopg://brain:brain@127.0.0.1:5432/brain"
            )
            object.__setattr__(self, "database_url", url)
        if self.mlflow_tracking_uri is None:
            uri = (
                f"sqlite:///{run_dir / 'embedded' / 'mlflow.db'}"
                if self.profile is Profile.EMBEDDED
                else "postgresql+psycopg://brain:brain@127.0.0.1:5432/mlflow"
            )
            object.__setattr__(self, "mlflow_tracking_uri", uri)
        return self

    @property
    def db_url(self) -> str:
        assert self.database_url is not None  # filled by the validator
        return self.database_url

    @property
    def embedded(self) -> bool:
        return self.profile is Profile.EMBEDDED


@lru_cache(maxsize=1)
def get_pipeline_settings() -> PipelineSettings:
    return PipelineSettings()

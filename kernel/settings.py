"""The settings every deployable of the Brain shares: the profile and where its stores live.

``BrainSettings`` is a base, not a deployable's settings: each deployable declares its own class
on top of it (``pipelines.settings.PipelineSettings`` for connectors and processors,
``bento_service.settings.ServiceSettings`` for the API), one env prefix (``EB_``), read once
through that deployable's cached getter. The ``profile`` switch chooses between the two columns of
the architecture:

* ``embedded`` (default): SQLite, Feast local provider, local MLflow store, in-process transport.
* ``services``: Kafka, PostgreSQL, Feast with the Redis online store, MLflow on PostgreSQL.

Any store location left unset gets the default of its profile (filled before validation, so the
settings stay frozen and are never patched afterwards); an explicit value always wins.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BrainSettings", "Profile"]


class Profile(StrEnum):
    EMBEDDED = "embedded"
    SERVICES = "services"


_SERVICES_DB = "postgresql+psycopg://brain:brain@127.0.0.1:5432/brain"
_SERVICES_MLFLOW = "postgresql+psycopg://brain:brain@127.0.0.1:5432/mlflow"


class BrainSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EB_", extra="forbid", frozen=True)

    profile: Profile = Profile.EMBEDDED
    run_dir: Path = Field(
        default=Path(".run"),
        validate_default=True,
        description="Where local data, logs and stores live (relative: to the current directory).",
    )

    database_url: str = Field(
        default="", description="SQLAlchemy URL of the operational DB (default: the profile's)."
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_client_id: str = "wekeza-brain"
    topic_prefix: str = Field(
        default="", description="Prefix of every Kafka topic name (isolated environments)."
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    feast_repo: Path = Field(default=Path("feature_repo"), validate_default=True)
    mlflow_tracking_uri: str = Field(
        default="", description="MLflow tracking and registry URI (default: the profile's)."
    )
    identity_settings_path: Path | None = Field(
        default=None,
        description="Trained IdentitySettings JSON (brain identity resolve --save-settings); "
        "unset: the shipped Wekeza settings (identity/settings/wekeza_default.json).",
    )

    @model_validator(mode="before")
    @classmethod
    def _profile_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        profile = Profile(data.get("profile") or Profile.EMBEDDED)
        run_dir = Path(data.get("run_dir") or ".run").resolve()
        embedded = profile is Profile.EMBEDDED
        if not data.get("database_url"):
            data["database_url"] = (
                f"sqlite:///{run_dir / 'embedded' / 'brain.db'}" if embedded else _SERVICES_DB
            )
        if not data.get("mlflow_tracking_uri"):
            data["mlflow_tracking_uri"] = (
                f"sqlite:///{run_dir / 'embedded' / 'mlflow.db'}" if embedded else _SERVICES_MLFLOW
            )
        return data

    @field_validator("run_dir", "feast_repo")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return path.resolve()

    @property
    def db_url(self) -> str:
        return self.database_url

    @property
    def embedded(self) -> bool:
        return self.profile is Profile.EMBEDDED

"""Settings of the API deployable (BentoML service): the shared store locations plus the API's own."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kernel.settings import BrainSettings

__all__ = ["ServiceSettings", "get_service_settings"]


class ServiceSettings(BrainSettings):
    model_config = SettingsConfigDict(env_prefix="EB_", extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    jwt_issuer: str = "https://auth.wekeza.bank/brain-dev"
    jwt_audience: str = "wekeza-brain"
    jwks_url: str | None = Field(
        default=None, description="Services mode: the identity provider's JWKS. Embedded: a local dev key."
    )
    decision_budget_ms: float = Field(default=50.0, gt=0, description="Latency budget of one decision")
    api_workers: int = Field(
        default=1, ge=1, le=64, description="BentoML worker processes of the API (each one Python process)"
    )
    models_enabled: bool = Field(default=True, description="Score with the MLflow champions when promoted")
    fraud_model: str = "fraud"
    credit_model: str = "credit"
    model_poll_s: float = Field(default=30.0, gt=0, description="How often the champion alias is re-read")
    rule_sets: list[Path] = Field(
        default_factory=list, description="Active rule-set files (default: bundled)"
    )
    bench_routes: bool = Field(
        default=False,
        description="Serve the benchmark's no-op floors (/v1/noop, /v1/noop/mounted); never in production",
    )
    shadow_rule_sets: list[Path] = Field(
        default_factory=list, description="Rule sets evaluated and logged only"
    )

    @property
    def decision_spool(self) -> Path:
        return self.run_dir / self.profile.value / "decision_spool.jsonl"

    @property
    def auth_dir(self) -> Path:
        return self.run_dir / self.profile.value / "auth"


@lru_cache(maxsize=1)
def get_service_settings() -> ServiceSettings:
    return ServiceSettings()

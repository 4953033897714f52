"""What request handlers need, built once per process by :func:`bento_service.bootstrap.bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bento_service.auth import TokenVerifier
from bento_service.decisions import DecisionEngine
from bento_service.intake import ChannelIntake
from bento_service.outbox import LeaderPass
from bento_service.settings import ServiceSettings
from features import FeatureReader
from kernel.errors import ConfigurationError

__all__ = ["ServiceDeps", "current", "install", "verifier"]


@dataclass(frozen=True)
class ServiceDeps:
    settings: ServiceSettings
    engine: Engine
    #: single-statement reads of the Customer 360 and identity routes (autocommit; see
    #: :func:`kernel.storage.reader_engine`): use with :func:`kernel.storage.run_read`
    reader: Engine
    verifier: TokenVerifier
    features: FeatureReader
    decisions: DecisionEngine
    #: the outbox relays and sweepers the API process runs in background threads
    relays: tuple[LeaderPass, ...]
    intake: ChannelIntake | None = None  # POST /v1/intake/channel-events (issue 3)


_current: ServiceDeps | None = None


def install(deps: ServiceDeps) -> ServiceDeps:
    """Make ``deps`` the process's dependencies (called by the composition root only)."""
    global _current
    _current = deps
    return deps


def current() -> ServiceDeps:
    if _current is None:
        raise ConfigurationError("the service's dependencies were not bootstrapped")
    return _current


def verifier() -> TokenVerifier:
    return current().verifier

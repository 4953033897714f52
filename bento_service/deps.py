"""What request handlers need, built once per process by :func:`bento_service.bootstrap.bootstrap`.

The dependencies live on the FastAPI application (``app.state.deps``, put there by
:func:`attach`: :func:`bento_service.app.build_app` does it, and so does the BentoML service
once its worker has bootstrapped), and routes receive them as FastAPI dependencies::

    Reader = Annotated[Principal, Depends(require_scope(request_verifier, Scope.CUSTOMER_READ))]

    @router.get("/thing")
    def read_thing(deps: Deps, _principal: Reader) -> Thing:
        with deps.engine.connect() as conn: ...

The providers are ``async`` so that FastAPI calls them on the event loop, not in its thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy import Engine

from bento_service.auth import TokenVerifier
from bento_service.decisions import DecisionEngine
from bento_service.intake import ChannelIntake
from bento_service.outbox import LeaderPass
from bento_service.settings import ServiceSettings
from features import FeatureReader
from kernel.errors import ConfigurationError

__all__ = ["Deps", "ServiceDeps", "attach", "request_verifier", "service_deps"]


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


def attach(app: FastAPI, deps: ServiceDeps) -> FastAPI:
    """Make ``deps`` what ``app``'s routes receive (called by the composition root only)."""
    app.state.deps = deps
    return app


async def service_deps(request: Request) -> ServiceDeps:
    """The FastAPI dependency providing the dependencies of the app serving ``request``."""
    deps = getattr(request.app.state, "deps", None)
    if not isinstance(deps, ServiceDeps):
        raise ConfigurationError("the service's dependencies were not bootstrapped")
    return deps


Deps = Annotated[ServiceDeps, Depends(service_deps)]


async def request_verifier(deps: Deps) -> TokenVerifier:
    """The FastAPI dependency providing the token verifier, for :func:`~bento_service.auth.require_scope`."""
    return deps.verifier

"""The FastAPI application the BentoML service mounts (and tests drive in process).

One OpenAPI document, ``/docs.json``, served by this app (the BentoML server matches its mounted
app's routes before its own ``/docs.json``): the project's title, version, description and
contact, every route of the API plus BentoML's health and metrics endpoints. ``/docs`` is its
Swagger UI (BentoML's index page ``/`` reads the same document).

Customer 360 and identity routes live under ``/v1`` like the decisions; their first, unversioned
paths (``/customer/...``, ``/customers``, ``/identity/...``) still answer, marked deprecated and
left out of the document.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bento_service.deps import ServiceDeps, attach
from bento_service.problems import install_problem_handlers
from bento_service.routes import customer_activity, customers, decisions, identity, intake

__all__ = ["API_TITLE", "api_version", "build_app"]

API_TITLE = "Wekeza Enterprise Brain"
_DESCRIPTION = (
    "Customer 360 by Global Customer ID (GCID), identity resolution and real-time decisions "
    "(transaction, login, credit) with reasons, every decision written to a hash-chained log "
    "before it is answered. Every route but health and metrics needs a bearer token with the "
    "route's scope (`brain token --help` lists them); errors are `application/problem+json`."
)
_CONTACT = {"name": "Wekeza Bank, Enterprise Brain team", "url": "https://github.com/eodenyire"}
#: BentoML's own endpoints, served beside this app by the same server.
_INFRA = {
    "/healthz": "Health check (200 when the service is up).",
    "/livez": "Liveness for Kubernetes (200 when the process serves).",
    "/readyz": "Readiness for Kubernetes (200 when the service accepts traffic).",
    "/metrics": "Prometheus metrics of the API process.",
}


def api_version() -> str:
    """The installed project's version (the API's, in the OpenAPI document)."""
    try:
        return package_version("wekeza-enterprise-brain")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+source"


def build_app(deps: ServiceDeps | None = None, *, bench_routes: bool = False) -> FastAPI:
    """The app, its routes receiving ``deps`` (:func:`bento_service.bootstrap.bootstrap`'s).

    Without ``deps`` they must be attached (:func:`bento_service.deps.attach`) before the first
    request, as the BentoML service does: its app is built at import, its dependencies in each
    worker; until then every route answers a configuration-error problem. ``bench_routes`` adds
    ``/v1/noop/mounted``, the benchmark's floor (``EB_BENCH_ROUTES``; never in production).
    """
    app = FastAPI(
        title=API_TITLE,
        version=api_version(),
        description=_DESCRIPTION,
        contact=_CONTACT,
        openapi_url="/docs.json",
        docs_url="/docs",
        redoc_url=None,
    )
    install_problem_handlers(app)
    for router in (customers.router, customer_activity.router, identity.router):
        app.include_router(router, prefix="/v1")
        app.include_router(router, include_in_schema=False, deprecated=True)  # the first paths
    app.include_router(decisions.router)
    app.include_router(intake.router)
    if bench_routes:

        @app.post("/v1/noop/mounted", include_in_schema=False)
        async def noop_mounted() -> dict[str, bool]:
            """The floor of the mounted routes (the decision path) for benchmarks: no I/O, no
            auth. BentoML's own ``/v1/noop`` (a ``@bentoml.api``) costs more CPU than this."""
            return {"ok": True}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                contact=app.contact,
                routes=app.routes,
                tags=[
                    {"name": "customer-360", "description": "The golden record, accounts, activity"},
                    {"name": "identity", "description": "GCIDs, their source records, merges, splits"},
                    {"name": "decisions", "description": "Real-time decisions and the decision log"},
                    {"name": "intake", "description": "Channel events from the channel back ends"},
                    {"name": "infrastructure", "description": "Health and metrics (BentoML)"},
                ],
            )
            for path, summary in _INFRA.items():
                schema["paths"][path] = {
                    "get": {
                        "tags": ["infrastructure"],
                        "summary": summary,
                        "responses": {"200": {"description": "OK"}},
                    }
                }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app if deps is None else attach(app, deps)

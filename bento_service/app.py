"""The FastAPI application the BentoML service mounts (and tests drive in process)."""

from fastapi import FastAPI

from bento_service.deps import ServiceDeps, attach
from bento_service.problems import install_problem_handlers
from bento_service.routes import customer_activity, customers, decisions, identity, intake

__all__ = ["build_app"]


def build_app(deps: ServiceDeps | None = None) -> FastAPI:
    """The app, its routes receiving ``deps`` (:func:`bento_service.bootstrap.bootstrap`'s).

    Without ``deps`` they must be attached (:func:`bento_service.deps.attach`) before the first
    request, as the BentoML service does: its app is built at import, its dependencies in each
    worker; until then every route but ``/v1/noop/mounted`` answers a configuration-error problem.
    """
    app = FastAPI(
        title="Wekeza Enterprise Brain",
        version="0.1.0",
        description="Customer 360 by GCID and real-time decisions. Every route but health needs a token.",
    )
    install_problem_handlers(app)
    app.include_router(customers.router)
    app.include_router(customer_activity.router)
    app.include_router(decisions.router)
    app.include_router(identity.router)
    app.include_router(intake.router)

    @app.post("/v1/noop/mounted", include_in_schema=False)
    async def noop_mounted() -> dict[str, bool]:
        """The floor of the mounted routes (the decision path) for benchmarks: no I/O, no auth.
        BentoML's own ``/v1/noop`` (a ``@bentoml.api``) costs more CPU per request than this."""
        return {"ok": True}

    return app if deps is None else attach(app, deps)

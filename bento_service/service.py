"""The BentoML service: ``bentoml serve bento_service.service:BrainService``.

BentoML serves ``/healthz``, ``/livez``, ``/readyz``, ``/metrics`` and ``/docs.json``; the
mounted FastAPI app serves the Customer 360 and decision routes (and its ``/docs``).
"""

from typing import Any

import bentoml

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap

__all__ = ["BrainService", "app"]

app = build_app()


@bentoml.service(name="wekeza_brain", traffic={"timeout": 10}, workers=1)
@bentoml.asgi_app(app, path="/")
class BrainService:
    def __init__(self) -> None:
        self.deps = bootstrap()

    @bentoml.api(route="/v1/noop")  # type: ignore[untyped-decorator]
    def noop(self) -> dict[str, Any]:
        """The framework's floor for benchmarks: no I/O, no auth."""
        return {"ok": True}

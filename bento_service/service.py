"""The BentoML service: ``bentoml serve bento_service.service:BrainService``.

BentoML serves ``/healthz``, ``/livez``, ``/readyz``, ``/metrics`` and ``/docs.json``; the
mounted FastAPI app serves the Customer 360, identity and decision routes (and its ``/docs``).
"""

import gc
import threading
from typing import Any

import bentoml
from threadpoolctl import threadpool_limits

from bento_service.app import build_app
from bento_service.bootstrap import bootstrap
from bento_service.decisions import drain_periodically
from bento_service.deps import attach
from bento_service.settings import get_service_settings
from kernel.transport import silence_kafka_client_deprecations

__all__ = ["BrainService", "app"]

silence_kafka_client_deprecations()  # the Kafka client is imported later, by the bootstrap

_settings = get_service_settings()
#: the decorator needs the app now; its dependencies are attached in each worker
app = build_app(bench_routes=_settings.bench_routes)


@bentoml.service(name="wekeza_brain", traffic={"timeout": 10}, workers=_settings.api_workers)
@bentoml.asgi_app(app, path="/")
class BrainService:
    def __init__(self) -> None:
        # one request scores one row: native thread pools (OpenMP, BLAS) only spin on the cores
        # that serve the other requests; each worker process computes on its own thread
        threadpool_limits(limits=1)
        self.deps = bootstrap()
        attach(app, self.deps)
        # the start-up heap is permanent: full collections stop re-scanning it (long pauses)
        gc.collect()
        gc.freeze()
        self._stop = threading.Event()
        self._drainer = threading.Thread(
            target=drain_periodically,
            args=(self.deps.decisions.drain_spool, self._stop),
            name="decision-spool-drainer",
            daemon=True,
        )
        self._drainer.start()
        for relay in self.deps.relays:
            threading.Thread(
                target=relay.run, args=(self._stop,), name=f"relay-{relay.name}", daemon=True
            ).start()

    @bentoml.on_shutdown  # type: ignore[untyped-decorator]
    def shutdown(self) -> None:
        self._stop.set()
        self.deps.decisions.close()
        self.deps.reader.dispose()

    if _settings.bench_routes:  # the benchmark's configuration only (EB_BENCH_ROUTES)

        @bentoml.api(route="/v1/noop")  # type: ignore[untyped-decorator]
        def noop(self) -> dict[str, Any]:
            """The framework's floor for benchmarks: no I/O, no auth."""
            return {"ok": True}

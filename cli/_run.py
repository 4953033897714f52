"""``brain run`` (the whole brain), ``simulate``, ``process`` and ``serve``."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

if TYPE_CHECKING:
    from pipelines.bootstrap import Pipeline
    from pipelines.settings import PipelineSettings
    from pipelines.simulator import SimulatedBank

import typer

__all__ = ["process", "run", "serve", "simulate"]

log = logging.getLogger(__name__)

Customers = Annotated[int, typer.Option(min=1, help="How many people the simulated bank has")]
Seed = Annotated[int, typer.Option(help="Random seed of the simulation")]
Host = Annotated[str, typer.Option(help="Address the API listens on")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port the API listens on")]


def _serve_metrics(settings: PipelineSettings) -> None:
    from pipelines.metrics import serve_metrics

    try:
        serve_metrics(settings.metrics_port)
    except OSError as exc:
        typer.echo(
            f"cannot serve metrics on 127.0.0.1:{settings.metrics_port} ({exc}); set EB_METRICS_PORT",
            err=True,
        )
        raise typer.Exit(2) from None
    if settings.metrics_port:
        log.info("pipeline metrics on http://127.0.0.1:%d/metrics", settings.metrics_port)


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _load_bank(pipeline: Pipeline, customers: int, seed: int) -> SimulatedBank:
    from pipelines.simulator import simulate_bank

    settings = pipeline.settings
    bank = simulate_bank(customers, seed, datetime.now(UTC))
    truth = settings.run_dir / settings.profile.value / "simulator" / "ground_truth.csv"
    bank.write_ground_truth(truth)
    events = bank.events()
    pipeline.publish(events)
    log.info("simulated %d customers → %d events (ground truth: %s)", customers, len(events), truth)
    return bank


def _api_command(settings: PipelineSettings, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    env.update({"EB_PROFILE": settings.profile.value, "EB_RUN_DIR": str(settings.run_dir)})
    cmd = [sys.executable, "-m", "bentoml", "serve", "bento_service.service:BrainService"]
    return [*cmd, "--host", host, "--port", str(port)], env


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            typer.echo(f"the API exited with code {proc.returncode}", err=True)
            raise typer.Exit(1)
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    typer.echo(f"the API did not become healthy within {timeout_s:.0f} s", err=True)
    raise typer.Exit(1)


def _first_champion(settings: PipelineSettings, seed: int) -> None:
    """Train and promote a fraud champion when the profile's registry has none."""
    from models.registry import champion_metrics, promote, tracking_uri
    from models.workflow import train_on_simulated_bank

    tracking = tracking_uri(settings)
    if champion_metrics(tracking, "fraud") is not None:
        return
    typer.echo("no fraud champion registered: training a first one on a simulated bank (once)...")
    trained, registered, rows = train_on_simulated_bank(
        "fraud", settings, customers=300, seed=seed, now=datetime.now(UTC).replace(microsecond=0)
    )
    promote(tracking, registered.name, registered.version, "champion")
    typer.echo(
        f"fraud v{registered.version} is the champion (rows={rows}, "
        f"roc_auc={trained.evaluation.roc_auc:.4f}); `brain models list` shows it"
    )


def run(
    customers: Customers = 300,
    seed: Seed = 7,
    host: Host = "127.0.0.1",
    port: Port = 3000,
    live_rate: Annotated[float, typer.Option(min=0, help="New transactions per second after the load")] = 1.0,
    first_model: Annotated[
        bool,
        typer.Option(
            "--first-model/--no-first-model",
            help="Train and promote a first fraud champion when none is registered (once per run dir)",
        ),
    ] = True,
) -> None:
    """The whole brain on this machine: simulate, process, serve the API, keep the bank alive.

    On the first run the profile's MLflow has no model: a first fraud model is trained on a
    simulated bank of its own and promoted champion, so decisions are scored from the start."""
    from cli._process import stop_process_group
    from pipelines.bootstrap import bootstrap
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    stop = _stop_event()
    _serve_metrics(settings)
    pipeline = bootstrap(settings)
    pipeline.start()
    bank = _load_bank(pipeline, customers, seed)
    pipeline.wait_idle(quiet_s=1.0, timeout_s=600)
    if first_model:
        _first_champion(settings, seed)
    cmd, env = _api_command(settings, host, port)
    api = subprocess.Popen(cmd, env=env, start_new_session=True)  # its own group: stopped as a whole
    url = f"http://{host}:{port}"
    try:
        _wait_healthy(url, api)
        sample = bank.customers[0]
        typer.echo(
            f"""
Wekeza Enterprise Brain is up ({settings.profile.value} mode).
  API:      {url}   (OpenAPI: {url}/docs.json, Swagger: {url}/docs, metrics: {url}/metrics)
  Pipeline: http://127.0.0.1:{settings.metrics_port}/metrics
  Token:    TOKEN=$(.venv/bin/brain token)
  Customer: GCID=$(curl -s -H "Authorization: Bearer $TOKEN" \\
              -X POST {url}/v1/decisions/transaction -H 'Content-Type: application/json' \\
              -d '{{"source_system":"{sample.source_system}","customer_source_key":"{sample.source_key}",\\
                   "amount":"2500.00","currency":"KES","txn_type":"payment","channel":"mpesa"}}' \\
              | python3 -c 'import json,sys; print(json.load(sys.stdin)["gcid"])')
            curl -s -H "Authorization: Bearer $TOKEN" {url}/customer/$GCID
Live transactions: {live_rate}/s. Stop with Ctrl-C.
"""
        )
        rng = random.Random(seed + 1)
        interval = 1.0 / live_rate if live_rate else None
        while not stop.is_set():
            if api.poll() is not None:
                typer.echo(f"the API exited with code {api.returncode}", err=True)
                raise typer.Exit(1)
            if interval is None:
                stop.wait(1.0)
                continue
            pipeline.publish([bank.new_transaction(rng, datetime.now(UTC))])
            stop.wait(interval)
    finally:
        stop_process_group(api)
        pipeline.stop()


def simulate(customers: Customers = 300, seed: Seed = 7) -> None:
    """Publish a simulated bank's events. Embedded: processes them in this process, then exits."""
    from pipelines.bootstrap import bootstrap
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    pipeline = bootstrap(settings)
    _load_bank(pipeline, customers, seed)
    if settings.embedded:
        pipeline.start()
        pipeline.wait_idle(quiet_s=1.0, timeout_s=600)
    pipeline.stop()


def process() -> None:
    """Run the processors until stopped (services mode: consumes Kafka)."""
    from pipelines.bootstrap import bootstrap
    from pipelines.settings import get_pipeline_settings

    stop = _stop_event()
    settings = get_pipeline_settings()
    _serve_metrics(settings)
    pipeline = bootstrap(settings)
    pipeline.start()
    typer.echo(_consuming(pipeline))
    stop.wait()
    pipeline.stop()


def _consuming(pipeline: Pipeline) -> str:
    """What ``brain process`` consumes, from where, as which consumer groups."""
    settings = pipeline.settings
    source = (
        "the in-process bus (embedded)"
        if settings.embedded
        else f"Kafka {settings.kafka_bootstrap}"
        + (f", topic prefix {settings.topic_prefix!r}" if settings.topic_prefix else "")
    )
    lines = [f"consuming from {source}; Ctrl-C stops:"]
    for runner in pipeline.runners:
        group = f"{settings.consumer_group_prefix}.{runner.handler.name}"
        lines.append(f"  {runner.handler.name:<12} group {group:<24} {', '.join(runner.handler.topics)}")
    if settings.metrics_port:
        lines.append(f"metrics: http://127.0.0.1:{settings.metrics_port}/metrics")
    return "\n".join(lines)


def serve(host: Host = "127.0.0.1", port: Port = 3000) -> None:
    """Serve the API with BentoML (reads the same stores the processors write)."""
    from pipelines.settings import get_pipeline_settings

    cmd, env = _api_command(get_pipeline_settings(), host, port)
    os.execvpe(cmd[0], cmd, env)  # become the server: signals reach BentoML directly

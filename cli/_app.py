"""``brain``: run, simulate, serve, infra, token, schemas, decisions."""

from __future__ import annotations

import logging

import typer

from cli import (
    _connectors,
    _decisions,
    _identity,
    _infra,
    _models,
    _rebuild,
    _run,
    _schemas,
    _token,
)
from kernel.errors import EnterpriseBrainError
from kernel.transport import silence_kafka_client_deprecations

__all__ = ["app", "main"]

app = typer.Typer(
    name="brain",
    help="Wekeza Enterprise Brain: GCID, Customer 360, features and decisions.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(_infra.app, name="infra")
app.add_typer(_schemas.app, name="schemas")
app.add_typer(_decisions.app, name="decisions")
app.add_typer(_connectors.app, name="connectors")
app.add_typer(_connectors.dlq_app, name="dlq")
app.add_typer(_identity.app, name="identity")
app.add_typer(_models.app, name="models")
app.add_typer(_models.mlflow_app, name="mlflow")
app.add_typer(_rebuild.app, name="rebuild")
app.command("token")(_token.token)
app.command("run")(_run.run)
app.command("simulate")(_run.simulate)
app.command("process")(_run.process)
app.command("serve")(_run.serve)


def main() -> None:
    silence_kafka_client_deprecations()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("kafka", "feast", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        app()
    except EnterpriseBrainError as exc:  # the user's input or environment: a message, not a traceback
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from exc

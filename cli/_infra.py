"""``brain infra up|down|status``: the project's own scripts in ``infra/``."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="Install, start, stop and check Kafka, Redis and PostgreSQL (infra/*.sh).")

INFRA = Path(__file__).resolve().parents[1] / "infra"
Services = Annotated[list[str] | None, typer.Argument(help="kafka, redis, postgres (default: all)")]


def _script(name: str, services: list[str] | None) -> None:
    script = INFRA / f"{name}.sh"
    if not script.exists():
        raise typer.BadParameter(f"{script} not found: run from a checkout of the project")
    code = subprocess.call(["bash", str(script), *(services or [])])
    raise typer.Exit(code)


@app.command()
def up(services: Services = None) -> None:
    """Install if missing and start, health-checked, idempotent."""
    _script("up", services)


@app.command()
def down(services: Services = None) -> None:
    """Stop cleanly."""
    _script("down", services)


@app.command()
def status(services: Services = None) -> None:
    """Exit 0 only when every named service is healthy."""
    _script("status", services)

"""``brain decisions verify``: check the decision log's hash chain."""

from __future__ import annotations

import typer

from bento_service.decision_log import verify_chain
from pipelines.settings import get_pipeline_settings
from pipelines.storage import create_db_engine

__all__ = ["app"]

app = typer.Typer(help="The decision log.")


@app.command()
def verify() -> None:
    """Detect any altered, deleted or reordered decision record (exit 1 if any)."""
    report = verify_chain(create_db_engine(get_pipeline_settings().db_url))
    for problem in report.problems:
        typer.echo(problem, err=True)
    typer.echo(
        f"{report.checked} decision records checked: {'chain intact' if report.ok else 'CHAIN BROKEN'}"
    )
    raise typer.Exit(0 if report.ok else 1)

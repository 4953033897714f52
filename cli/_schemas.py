"""``brain schemas export``: the JSON Schemas of every topic's events, for other teams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app", "export_schemas"]

app = typer.Typer(help="Published event schemas.")


def export_schemas(out: Path) -> list[Path]:
    from kernel.events import json_schemas

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for topic, schema in sorted(json_schemas().items()):
        path = out / f"{topic}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


@app.command("export")
def export(out: Annotated[Path, typer.Option(help="Folder to write into")] = Path("docs/schemas")) -> None:
    """Write ``<topic>.schema.json`` for every topic."""
    for path in export_schemas(out):
        typer.echo(str(path))

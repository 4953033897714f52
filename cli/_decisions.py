"""``brain decisions verify|backtest``: the decision log and offline replays of the policy."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="The decision log and backtests.")


@app.command()
def verify() -> None:
    """Detect any altered, deleted or reordered decision record (exit 1 if any)."""
    from bento_service.decision_log import verify_chain
    from kernel.storage import create_db_engine
    from pipelines.settings import get_pipeline_settings

    report = verify_chain(create_db_engine(get_pipeline_settings().db_url))
    for problem in report.problems:
        typer.echo(problem, err=True)
    typer.echo(
        f"{report.checked} decision records checked: {'chain intact' if report.ok else 'CHAIN BROKEN'}"
    )
    raise typer.Exit(0 if report.ok else 1)


def _when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _labels(path: Path | None) -> list[tuple[str, str]]:
    if path is None:
        return []
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = {"source_system", "transaction_key"} - set(reader.fieldnames or ())
        if missing:
            raise typer.BadParameter(f"{path} lacks columns {sorted(missing)}", param_hint="--labels")
        return [(r["source_system"], r["transaction_key"]) for r in reader]


@app.command()
def backtest(
    ruleset: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Transaction rule-set file")],
    start: Annotated[str, typer.Option("--from", help="ISO 8601 start (inclusive)")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 end (exclusive)")],
    labels: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="CSV of confirmed fraud: source_system,transaction_key"
        ),
    ] = None,
) -> None:
    """Replay historical transactions through the decision code with point-in-time features."""
    from bento_service.decisions import backtest as run_backtest
    from kernel.storage import create_db_engine
    from models.decisioning import RuleSetInvalid, load_rule_set
    from pipelines.settings import get_pipeline_settings

    try:
        rule_set = load_rule_set(ruleset)
    except RuleSetInvalid as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    begin, finish = _when(start), _when(end)
    if finish <= begin:
        raise typer.BadParameter("--to must be after --from")
    report = run_backtest(
        create_db_engine(get_pipeline_settings().db_url),
        rule_set,
        begin,
        finish,
        fraud_labels=_labels(labels),
    )
    typer.echo(json.dumps(report.as_dict(), indent=2))

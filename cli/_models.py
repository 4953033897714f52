"""``brain models``: train on the simulated bank, register in MLflow, promote by alias, list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

__all__ = ["app", "mlflow_app"]

app = typer.Typer(help="Models in the MLflow registry: train, promote, list.", no_args_is_help=True)


@app.command("promote")
def promote(
    name: Annotated[str, typer.Argument(help="Registered model name, e.g. fraud")],
    version: Annotated[str, typer.Argument(help="Model version to point the alias at")],
    alias: Annotated[str, typer.Option(help="champion or challenger")] = "champion",
) -> None:
    """Point ALIAS of model NAME at VERSION; the decision service follows the champion alias."""
    from models.registry import ALIASES, tracking_uri
    from models.registry import promote as promote_version
    from pipelines.settings import get_pipeline_settings

    if alias not in ALIASES:
        raise typer.BadParameter(f"alias must be one of {', '.join(ALIASES)}", param_hint="--alias")
    promote_version(tracking_uri(get_pipeline_settings()), name, version, alias)
    typer.echo(f"{name}@{alias} -> version {version}")


@app.command("list")
def list_versions(
    name: Annotated[str | None, typer.Argument(help="Registered model name (default: every model)")] = None,
) -> None:
    """Versions of NAME (of every registered model without NAME) with aliases, feature service and
    headline metrics."""
    from models.registry import registered_versions, tracking_uri
    from pipelines.settings import get_pipeline_settings

    uri = tracking_uri(get_pipeline_settings())
    versions = registered_versions(uri, name)
    if not versions:
        typer.echo(f"no model registered in {uri} (brain models train fraud)")
        return
    for v in versions:
        auc, pr = v.metrics.get("roc_auc", float("nan")), v.metrics.get("pr_auc", float("nan"))
        typer.echo(
            f"{v.name} v{v.version}  aliases={','.join(v.aliases) or '-'}  "
            f"features={v.feature_service or '-'}  roc_auc={auc:.4f}  pr_auc={pr:.4f}"
        )


@app.command("train")
def train(
    model: Annotated[str, typer.Argument(help="fraud or credit")],
    customers: Annotated[int, typer.Option(help="Simulated customers")] = 400,
    seed: Annotated[int, typer.Option()] = 7,
    fraud_share: Annotated[float, typer.Option(help="Share of customers with an account takeover")] = 0.05,
) -> None:
    """Simulate a bank, stream it into the features, train MODEL and register a new version.

    The simulated world lives in a throw-away embedded sandbox (its own SQLite and Feast stores),
    so it never mixes with the profile's customers; the run and the model go to the profile's
    MLflow, where ``brain models promote`` and the decision service find them."""
    from models.workflow import train_on_simulated_bank
    from pipelines.settings import get_pipeline_settings

    if model not in ("fraud", "credit"):
        raise typer.BadParameter("model must be fraud or credit", param_hint="MODEL")
    trained, registered, rows = train_on_simulated_bank(
        model,  # type: ignore[arg-type]
        get_pipeline_settings(),
        customers=customers,
        seed=seed,
        now=datetime.now(UTC).replace(microsecond=0),
        fraud_share=fraud_share,
    )
    e = trained.evaluation
    typer.echo(
        f"{registered.name} v{registered.version}: rows={rows} roc_auc={e.roc_auc:.4f} "
        f"pr_auc={e.pr_auc:.4f} precision@{e.review_capacity:.0%}={e.precision_at_capacity:.3f}"
    )


mlflow_app = typer.Typer(
    help="The MLflow tracking server and UI of the profile's registry.", no_args_is_help=True
)


@mlflow_app.command("ui")
def ui(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 5000,
) -> None:
    """Open the MLflow UI on the profile's tracking store and artifacts (embedded: SQLite under
    the run dir; services: the PostgreSQL `mlflow` database): runs, metrics, registered models."""
    import os
    import sys

    from models.registry import artifact_root, tracking_uri
    from pipelines.settings import get_pipeline_settings

    settings = get_pipeline_settings()
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        tracking_uri(settings),
        "--default-artifact-root",
        artifact_root(settings).as_uri(),
        "--host",
        host,
        "--port",
        str(port),
    ]
    typer.echo(f"MLflow UI of {settings.profile.value} on http://{host}:{port} (Ctrl-C stops)")
    os.execvp(cmd[0], cmd)

"""``brain models``: train on the simulated bank, register in MLflow, promote by alias, list."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import get_pipeline_settings

__all__ = ["app"]

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

    if alias not in ALIASES:
        raise typer.BadParameter(f"alias must be one of {', '.join(ALIASES)}", param_hint="--alias")
    promote_version(tracking_uri(get_pipeline_settings()), name, version, alias)
    typer.echo(f"{name}@{alias} -> version {version}")


@app.command("list")
def list_versions(name: Annotated[str, typer.Argument(help="Registered model name")]) -> None:
    """Versions of NAME with their aliases and headline metrics."""
    from mlflow.tracking import MlflowClient

    from models.registry import tracking_uri

    uri = tracking_uri(get_pipeline_settings())
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    # search_model_versions leaves ``aliases`` empty on some backends: the registered model has them
    aliases: dict[str, list[str]] = {}
    for alias, version in client.get_registered_model(name).aliases.items():
        aliases.setdefault(str(version), []).append(alias)
    for v in sorted(client.search_model_versions(f"name='{name}'"), key=lambda m: int(m.version)):
        metrics = client.get_run(v.run_id).data.metrics if v.run_id else {}
        auc = metrics.get("roc_auc", float("nan"))
        names = ",".join(sorted(aliases.get(str(v.version), []))) or "-"
        typer.echo(f"{name} v{v.version}  aliases={names}  roc_auc={auc:.4f}")


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
    from models.workflow import build_training_frame, simulated_world, train_and_register, training_sandbox

    if model not in ("fraud", "credit"):
        raise typer.BadParameter("model must be fraud or credit", param_hint="MODEL")
    settings = get_pipeline_settings()
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="brain-train-") as sandbox:
        world = simulated_world(
            training_sandbox(settings, Path(sandbox)),
            customers=customers,
            seed=seed,
            now=now,
            fraud_share=fraud_share,
        )
        behaviour = world.bank.behaviour
        assert behaviour is not None
        frame = build_training_frame(
            model,  # type: ignore[arg-type]
            world.store,
            world.engine,
            world.bank.events(),
            fraud_event_ids=sorted(behaviour.fraud_transactions),
            credit_outcomes=behaviour.credit_default,
            as_of=behaviour.credit_applied_at,
        )
        world.engine.dispose()
    trained, registered = train_and_register(model, frame, settings)  # type: ignore[arg-type]
    e = trained.evaluation
    typer.echo(
        f"{registered.name} v{registered.version}: rows={len(frame)} roc_auc={e.roc_auc:.4f} "
        f"pr_auc={e.pr_auc:.4f} precision@{e.review_capacity:.0%}={e.precision_at_capacity:.3f}"
    )

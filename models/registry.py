"""MLflow tracking and registry: log a trained model, register it, promote it by alias.

Every run records its parameters, metrics, the feature service (name and version), a snapshot
of the training frame (Parquet artifact + MLflow dataset input + SHA-256 tag) and the model
signature; the model is registered as a new version of ``name``. Promotion sets an alias
(``champion`` / ``challenger``), never a stage.

Where: :func:`tracking_uri` / :func:`artifact_root` derive the backend from ``BrainSettings``:
embedded → SQLite under the run dir, services → the PostgreSQL ``mlflow`` database; artifacts on
disk under ``<run_dir>/<profile>/mlartifacts``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import warnings
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Literal

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from kernel.errors import EnterpriseBrainError
from kernel.settings import BrainSettings
from models.training import TrainedModel

__all__ = [
    "ALIASES",
    "Alias",
    "SKOPS_TRUSTED",
    "ModelNotRegistered",
    "ModelVersionSummary",
    "RegisteredModel",
    "artifact_root",
    "champion_metrics",
    "promote_if_better",
    "log_and_register",
    "model_uri",
    "promote",
    "registered_versions",
    "tracking_uri",
]

_log = logging.getLogger(__name__)

Alias = Literal["champion", "challenger"]
ALIASES: tuple[Alias, ...] = ("champion", "challenger")
SKOPS_TRUSTED = ("numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor")


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    version: str
    run_id: str
    metrics: dict[str, float]


class ModelNotRegistered(EnterpriseBrainError):
    """The registry has no such model (or no such version of it)."""

    status = 404
    code = "model-not-registered"


@dataclass(frozen=True, slots=True)
class ModelVersionSummary:
    name: str
    version: str
    aliases: tuple[str, ...]
    feature_service: str | None
    metrics: dict[str, float]


def tracking_uri(settings: BrainSettings) -> str:
    assert settings.mlflow_tracking_uri is not None  # filled by the settings validator
    return settings.mlflow_tracking_uri


def artifact_root(settings: BrainSettings) -> Path:
    return settings.run_dir / settings.profile.value / "mlartifacts"


def model_uri(name: str, alias: str) -> str:
    return f"models:/{name}@{alias}"


def _requirements() -> list[str]:
    return [f"{pkg}=={package_version(pkg)}" for pkg in ("mlflow", "scikit-learn", "numpy", "skops")]


def _experiment(client: MlflowClient, name: str, artifacts: Path) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    artifacts.mkdir(parents=True, exist_ok=True)
    return str(client.create_experiment(name, artifact_location=(artifacts / name).as_uri()))


def _snapshot(frame: pd.DataFrame) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def log_and_register(
    model: TrainedModel,
    *,
    name: str,
    feature_service: str,
    training_frame: pd.DataFrame,
    tracking: str,
    artifacts: Path,
) -> RegisteredModel:
    """Log one training run to MLflow and register its model as a new version of ``name``."""
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    experiment_id = _experiment(client, name, artifacts)
    service_name, _, version = feature_service.rpartition("_v")
    data, digest = _snapshot(training_frame)
    x_sample = training_frame[list(model.features)].astype("float64").head(50)
    signature = infer_signature(x_sample, model.pipeline.predict_proba(x_sample.to_numpy())[:, 1])
    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(tracking)
    metrics = {k: v for k, v in model.evaluation.as_dict().items() if v == v}  # drop NaN
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_params({**model.params, "features": ",".join(model.features)})
        mlflow.log_params({"train_rows": model.train_rows, "split_at": model.split_at.isoformat()})
        mlflow.log_metrics(metrics)
        mlflow.set_tags(
            {
                "feature_service": feature_service,
                "feature_service_name": service_name or feature_service,
                "feature_service_version": f"v{version}" if service_name else "",
                "training_data_sha256": digest,
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "training_frame.parquet"
            path.write_bytes(data)
            mlflow.log_artifact(str(path), artifact_path="training_data")
        with warnings.catch_warnings():
            # MLflow hints that integer columns cannot hold nulls: the counts are integers on purpose
            warnings.filterwarnings("ignore", "Hint: Inferred schema contains integer", UserWarning)
            dataset = mlflow.data.from_pandas(  # type: ignore[attr-defined]
                training_frame.drop(columns=["event_timestamp"]),
                name=f"{feature_service}-{digest[:12]}",
                targets="label",
            )
        mlflow.log_input(dataset, context="training")
        info = mlflow.sklearn.log_model(
            model.pipeline,
            name="model",
            signature=signature,
            registered_model_name=name,
            # skops refuses types it has not been told to trust; these are the fitted trees we made
            skops_trusted_types=list(SKOPS_TRUSTED),
            # stated, not inferred: inference re-imports the model in a subprocess (tens of seconds)
            pip_requirements=_requirements(),
        )
    version_obj = info.registered_model_version
    assert version_obj is not None
    _log.info("registered %s version %s (run %s)", name, version_obj, run.info.run_id)
    return RegisteredModel(name=name, version=str(version_obj), run_id=run.info.run_id, metrics=metrics)


def champion_metrics(tracking: str, name: str, alias: Alias = "champion") -> dict[str, float] | None:
    """The metrics of the run behind ``name@alias``, ``None`` when the alias is not set."""
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    try:
        version = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    if version.run_id is None:
        return None
    return dict(client.get_run(version.run_id).data.metrics)


def promote_if_better(
    tracking: str, candidate: RegisteredModel, *, metric: str = "pr_auc", alias: Alias = "champion"
) -> bool:
    """Promote ``candidate`` to ``alias`` when it beats the current holder on ``metric`` (or there
    is none). Returns whether it was promoted."""
    current = champion_metrics(tracking, candidate.name, alias)
    if current is not None and candidate.metrics.get(metric, float("-inf")) <= current.get(
        metric, float("-inf")
    ):
        return False
    promote(tracking, candidate.name, candidate.version, alias)
    return True


def promote(tracking: str, name: str, version: str, alias: Alias) -> None:
    """Point ``alias`` of the registered model ``name`` at ``version`` (serving follows it)."""
    if alias not in ALIASES:
        raise ValueError(f"alias must be one of {ALIASES}, got {alias!r}")
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    try:
        client.get_model_version(name, version)
    except MlflowException:
        raise ModelNotRegistered(
            f"no version {version} of model {name!r} in the registry at {tracking} (brain models list)"
        ) from None
    client.set_registered_model_alias(name, alias, version)


def registered_versions(tracking: str, name: str | None = None) -> list[ModelVersionSummary]:
    """Every version of ``name`` (every registered model when ``None``), oldest first, with its
    aliases, feature service and headline metrics. ``ModelNotRegistered`` for an unknown name."""
    client = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    if name is None:
        names = sorted(m.name for m in client.search_registered_models())
    else:
        try:
            client.get_registered_model(name)
        except MlflowException:
            known = ", ".join(sorted(m.name for m in client.search_registered_models())) or "none"
            raise ModelNotRegistered(
                f"no model {name!r} in the registry at {tracking} (registered: {known})"
            ) from None
        names = [name]
    out: list[ModelVersionSummary] = []
    for model_name in names:
        # search_model_versions leaves ``aliases`` empty on some backends: the registered model has them
        aliases: dict[str, list[str]] = {}
        for alias, version in client.get_registered_model(model_name).aliases.items():
            aliases.setdefault(str(version), []).append(alias)
        versions = client.search_model_versions(f"name='{model_name}'")
        for v in sorted(versions, key=lambda m: int(m.version)):
            run = client.get_run(v.run_id) if v.run_id else None
            out.append(
                ModelVersionSummary(
                    name=model_name,
                    version=str(v.version),
                    aliases=tuple(sorted(aliases.get(str(v.version), []))),
                    feature_service=run.data.tags.get("feature_service") if run else None,
                    metrics=dict(run.data.metrics) if run else {},
                )
            )
    return out

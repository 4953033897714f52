"""End-to-end training workflows: the steps the notebooks and ``brain models train`` run.

``build_training_frame`` → ``train`` → ``log_and_register``, with the feature service of each
model fixed here (a new service version is a new model contract: change it here, on purpose).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from sqlalchemy import Engine

from features.feast_store import FeastFeatureStore
from kernel.events import BrainEvent
from kernel.storage import create_db_engine, migrate
from models.datasets import credit_entity_frame, fraud_entity_frame, gcid_map, training_frame
from models.registry import RegisteredModel, artifact_root, log_and_register, tracking_uri
from models.sandbox import training_sandbox
from models.training import TrainedModel, train
from pipelines.bootstrap import replay_features
from pipelines.settings import PipelineSettings
from pipelines.simulator import SimulatedBank, simulate_bank

__all__ = [
    "notebook_settings",
    "FEATURE_SERVICES",
    "ModelName",
    "SimulatedWorld",
    "build_training_frame",
    "simulated_world",
    "train_and_register",
    "train_on_simulated_bank",
    "training_sandbox",
]

ModelName = Literal["fraud", "credit"]
_ROOT = Path(__file__).resolve().parents[1]


def notebook_settings() -> PipelineSettings:
    """Settings for notebooks, whatever their working directory: the repo's ``feature_repo`` and,
    unless ``EB_RUN_DIR`` says otherwise, ``<repo>/.run`` (other ``EB_`` variables apply as usual)."""
    from_env = PipelineSettings(feast_repo=_ROOT / "feature_repo")
    if "run_dir" in from_env.model_fields_set:
        return from_env
    return PipelineSettings(feast_repo=_ROOT / "feature_repo", run_dir=_ROOT / ".run")


FEATURE_SERVICES: dict[ModelName, str] = {"fraud": "fraud_v1", "credit": "credit_v1"}


@dataclass
class SimulatedWorld:
    """A simulated bank whose events went through identity resolution and the feature processor."""

    settings: PipelineSettings
    bank: SimulatedBank
    engine: Engine
    store: FeastFeatureStore


def simulated_world(
    settings: PipelineSettings, *, customers: int, seed: int, now: datetime, fraud_share: float = 0.05
) -> SimulatedWorld:
    """Simulate a bank with behaviour, apply the feature repo, and stream its events into Feast."""
    bank = simulate_bank(customers, seed, now, fraud_share=fraud_share)
    engine = create_db_engine(settings.db_url)
    migrate(engine)
    store = FeastFeatureStore(settings)
    store.apply()
    replay_features(bank.events(), engine, store)
    return SimulatedWorld(settings, bank, engine, store)


def build_training_frame(
    model: ModelName,
    store: FeastFeatureStore,
    engine: Engine,
    events: Sequence[BrainEvent],
    *,
    fraud_event_ids: Sequence[str] = (),
    credit_outcomes: Mapping[tuple[str, str], bool] | None = None,
    as_of: datetime | Mapping[tuple[str, str], datetime] | None = None,
) -> pd.DataFrame:
    """Labels (``models.datasets``) joined point-in-time with the model's feature service."""
    gcids = gcid_map(engine)
    if model == "fraud":
        entities = fraud_entity_frame(events, gcids, fraud_event_ids=set(fraud_event_ids))
    else:
        if credit_outcomes is None or as_of is None:
            raise ValueError("the credit model needs outcomes and an as-of time")
        entities = credit_entity_frame(credit_outcomes, gcids, as_of)
    return training_frame(store, FEATURE_SERVICES[model], entities)


def train_and_register(
    model: ModelName, frame: pd.DataFrame, settings: PipelineSettings, **train_args: float | int
) -> tuple[TrainedModel, RegisteredModel]:
    """Train on ``frame`` (time-based split), log the run to MLflow and register a new version."""
    trained = train(frame, **train_args)  # type: ignore[arg-type]
    registered = log_and_register(
        trained,
        name=model,
        feature_service=FEATURE_SERVICES[model],
        training_frame=frame,
        tracking=tracking_uri(settings),
        artifacts=artifact_root(settings),
    )
    return trained, registered


def train_on_simulated_bank(
    model: ModelName,
    settings: PipelineSettings,
    *,
    customers: int,
    seed: int,
    now: datetime,
    fraud_share: float = 0.05,
) -> tuple[TrainedModel, RegisteredModel, int]:
    """Simulate a bank in a throw-away embedded sandbox (its own SQLite and Feast stores, so it
    never mixes with the profile's customers), stream it into the features, train ``model`` and
    register a new version in the profile's MLflow. Returns the model, its registration and the
    training frame's row count."""
    with tempfile.TemporaryDirectory(prefix="brain-train-") as sandbox:
        world = simulated_world(
            training_sandbox(settings, Path(sandbox)),
            customers=customers,
            seed=seed,
            now=now,
            fraud_share=fraud_share,
        )
        behaviour = world.bank.behaviour
        assert behaviour is not None  # fraud_share > 0 simulates behaviour
        frame = build_training_frame(
            model,
            world.store,
            world.engine,
            world.bank.events(),
            fraud_event_ids=sorted(behaviour.fraud_transactions),
            credit_outcomes=behaviour.credit_default,
            as_of=behaviour.credit_applied_at,
        )
        world.engine.dispose()
    trained, registered = train_and_register(model, frame, settings)
    return trained, registered, len(frame)

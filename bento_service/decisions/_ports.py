"""What the decision engine needs from model serving (MLflow champion) — a port with fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from features import OnlineFeatures

__all__ = ["EntityFeatureReader", "EntityRead", "ModelFeatureReader", "Score", "Scorer"]


@dataclass(frozen=True, slots=True)
class Score:
    value: float
    model_version: str


class Scorer(Protocol):
    @property
    def ready(self) -> bool:
        """False while no model version is loaded: decisions then run on rules alone (not degraded)."""

    @property
    def feature_service(self) -> str | None:
        """The feature service the serving model reads its inputs through (the registry's tag of
        its training run, e.g. ``fraud_v1``); ``None``: it scores on the decision context alone."""

    def score(self, features: Mapping[str, float | int | str | None]) -> Score: ...


@runtime_checkable
class ModelFeatureReader(Protocol):
    """Online values of a model's feature service (Feast ``fraud_v1``, ``credit_v1``)."""

    def service_online(
        self, service: str, entity_rows: Sequence[Mapping[str, str | float]]
    ) -> Mapping[str, Sequence[object]]: ...


class EntityRead(Protocol):
    """One read of every feature of a GCID: the decision context and the models' inputs."""

    def decision_context(self) -> OnlineFeatures: ...

    def service(self, service: str, request: Mapping[str, str | float]) -> Mapping[str, Sequence[object]]: ...


@runtime_checkable
class EntityFeatureReader(Protocol):
    """A feature reader that serves the rules' context and any model's feature service from one
    read of the GCID (the direct Redis read: one pipelined round trip per decision)."""

    def read_entity(self, gcid: str) -> EntityRead: ...

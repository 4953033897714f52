"""What the decision engine needs from model serving (MLflow champion) — a port with fakes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Score", "Scorer"]


@dataclass(frozen=True, slots=True)
class Score:
    value: float
    model_version: str


class Scorer(Protocol):
    def score(self, features: Mapping[str, float | int | str | None]) -> Score: ...

"""Fellegi–Sunter scoring: comparison levels → log2 Bayes factors → match probability."""

from __future__ import annotations

import math
from dataclasses import dataclass

from identity._comparisons import CompiledComparison, FieldRecord
from identity._settings import IdentitySettings

__all__ = ["ComparisonEvidence", "MatchExplanation", "Scorer"]


@dataclass(frozen=True, slots=True)
class ComparisonEvidence:
    comparison: str
    level: str
    weight: float  # log2(m/u); 0 for null


@dataclass(frozen=True, slots=True)
class MatchExplanation:
    evidence: tuple[ComparisonEvidence, ...]
    prior_weight: float
    total_weight: float
    probability: float
    is_match: bool


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds: float = math.pow(2.0, weight)
    return odds / (1.0 + odds)


class Scorer:
    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.comparisons = tuple(CompiledComparison(c) for c in settings.comparisons)
        self.weights = tuple(tuple(row) for row in settings.weights())
        #: per comparison: value → weight of an exact agreement on that (common) value
        self.tf_weights: tuple[dict[str, float], ...] = tuple(
            {
                v: math.log2(max(c.levels[0].m or 0.5, 1e-6) / max(f, c.levels[0].u or 0.5))
                for v, f in settings.term_frequencies.get(c.name, {}).items()
            }
            for c in settings.comparisons
        )
        self.prior_weight = math.log2(settings.prior / (1 - settings.prior))
        p = settings.match_threshold
        self.threshold_weight = math.log2(p / (1 - p))

    def levels(self, a: FieldRecord, b: FieldRecord) -> list[int]:
        return [c.level(a, b) for c in self.comparisons]

    def weight(self, a: FieldRecord, b: FieldRecord) -> float:
        total = self.prior_weight
        for c, w, tf in zip(self.comparisons, self.weights, self.tf_weights, strict=True):
            lv = c.level(a, b)
            if lv > 0:
                total += w[lv]
            elif lv == 0:
                total += tf.get(a[c.index], w[0]) if tf else w[0]
        return total

    def is_match(self, a: FieldRecord, b: FieldRecord) -> bool:
        return self.weight(a, b) >= self.threshold_weight

    def explain(self, a: FieldRecord, b: FieldRecord) -> MatchExplanation:
        evidence = []
        total = self.prior_weight
        for c, w, tf in zip(self.comparisons, self.weights, self.tf_weights, strict=True):
            lv = c.level(a, b)
            weight = (tf.get(a[c.index], w[0]) if lv == 0 else w[lv]) if lv >= 0 else 0.0
            total += weight
            evidence.append(ComparisonEvidence(c.comparison.name, c.label(lv), round(weight, 4)))
        return MatchExplanation(
            evidence=tuple(evidence),
            prior_weight=round(self.prior_weight, 4),
            total_weight=round(total, 4),
            probability=probability(total),
            is_match=total >= self.threshold_weight,
        )

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
    #: the exclusion that forbids the link, whatever the weight
    excluded_by: str | None = None


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
        #: per comparison: value → weight of an exact agreement on that value (term frequency)
        self.tf_weights: tuple[dict[str, float], ...] = tuple(
            {
                v: math.log2(max(c.levels[0].m or 0.5, 1e-6) / f)
                for v, f in settings.term_frequencies.get(c.name, {}).items()
                if f > 0
            }
            for c in settings.comparisons
        )
        index = {c.name: k for k, c in enumerate(settings.comparisons)}
        #: per exclusion: its name and, per comparison index, the level numbers that satisfy it
        self.exclusions: tuple[tuple[str, tuple[tuple[int, frozenset[int]], ...]], ...] = tuple(
            (
                ex.name,
                tuple(
                    (index[comp], frozenset(self.comparisons[index[comp]].labels.index(lb) for lb in labels))
                    for comp, labels in ex.levels.items()
                ),
            )
            for ex in settings.exclusions
        )
        self.prior_weight = math.log2(settings.prior / (1 - settings.prior))
        p = settings.match_threshold
        self.threshold_weight = math.log2(p / (1 - p))

    def levels(self, a: FieldRecord, b: FieldRecord) -> list[int]:
        return [c.level(a, b) for c in self.comparisons]

    def excluded_by(self, levels: list[int]) -> str | None:
        for name, conditions in self.exclusions:
            if all(levels[k] in allowed for k, allowed in conditions):
                return name
        return None

    def weight(self, a: FieldRecord, b: FieldRecord) -> float:
        """log2 odds of a match; ``-inf`` when an exclusion holds."""
        total = self.prior_weight
        levels = []
        for c, w, tf in zip(self.comparisons, self.weights, self.tf_weights, strict=True):
            lv = c.level(a, b)
            levels.append(lv)
            if lv > 0:
                total += w[lv]
            elif lv == 0:
                total += tf.get(a[c.index], w[0]) if tf else w[0]
        if self.exclusions and self.excluded_by(levels) is not None:
            return -math.inf
        return total

    def is_match(self, a: FieldRecord, b: FieldRecord) -> bool:
        return self.weight(a, b) >= self.threshold_weight

    def explain(self, a: FieldRecord, b: FieldRecord) -> MatchExplanation:
        evidence = []
        levels = []
        total = self.prior_weight
        for c, w, tf in zip(self.comparisons, self.weights, self.tf_weights, strict=True):
            lv = c.level(a, b)
            levels.append(lv)
            weight = (tf.get(a[c.index], w[0]) if lv == 0 else w[lv]) if lv >= 0 else 0.0
            total += weight
            evidence.append(ComparisonEvidence(c.comparison.name, c.label(lv), round(weight, 4)))
        excluded = self.excluded_by(levels)
        return MatchExplanation(
            evidence=tuple(evidence),
            prior_weight=round(self.prior_weight, 4),
            total_weight=round(total, 4),
            probability=0.0 if excluded else probability(total),
            is_match=excluded is None and total >= self.threshold_weight,
            excluded_by=excluded,
        )

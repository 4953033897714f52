"""The risk profile of a GCID: a 0–100 score from four components, by a declared policy.

Components (each 0–100, higher is riskier):

* ``fraud``: points per open or confirmed fraud alert, by severity (capped at 100);
* ``aml``: the newest AML rating (or score, read on a 0–100 scale) of any member record;
* ``credit``: the newest credit score, mapped from the bureau scale (300 best risk … 850) inverted;
* ``behaviour``: the newest behaviour score, or failed logins when no behaviour model scored.

The score is the weighted mean of the components that have evidence; a GCID with none reads
``unknown``. The policy is data (:class:`RiskPolicy`) and its version is stored with every profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "DEFAULT_RISK_POLICY",
    "AlertInput",
    "RiskInputs",
    "RiskPolicy",
    "RiskScore",
    "SignalInput",
    "score_risk",
]


def _freeze(values: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(values.items()))


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    version: str
    weights: tuple[tuple[str, float], ...]
    severity_points: tuple[tuple[str, float], ...]
    rating_points: tuple[tuple[str, float], ...]
    credit_scale: tuple[float, float] = (300.0, 850.0)
    failed_login_points: float = 10.0
    #: Upper bounds of the levels, ascending; the last level takes the rest.
    levels: tuple[tuple[str, float], ...] = (("low", 25.0), ("medium", 50.0), ("high", 75.0))
    top_level: str = "very_high"

    def weight(self, component: str) -> float:
        return dict(self.weights).get(component, 0.0)

    def level(self, score: float) -> str:
        for name, bound in self.levels:
            if score < bound:
                return name
        return self.top_level


DEFAULT_RISK_POLICY = RiskPolicy(
    version="risk-1",
    weights=_freeze({"fraud": 0.4, "aml": 0.3, "credit": 0.15, "behaviour": 0.15}),
    severity_points=_freeze({"low": 10, "medium": 25, "high": 50, "critical": 80}),
    rating_points=_freeze({"low": 10, "medium": 40, "high": 75, "very_high": 95}),
)


@dataclass(frozen=True, slots=True)
class AlertInput:
    severity: str
    status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SignalInput:
    score_type: str
    score: float
    rating: str | None
    at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class RiskInputs:
    alerts: tuple[AlertInput, ...] = ()
    signals: tuple[SignalInput, ...] = ()
    failed_logins: int = 0
    logins_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RiskScore:
    score: float
    level: str
    components: dict[str, dict[str, object]] = field(default_factory=dict)
    open_alerts: int = 0
    as_of: datetime | None = None
    policy_version: str = ""


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _newest(signals: Iterable[SignalInput], score_type: str) -> SignalInput | None:
    chosen = [s for s in signals if s.score_type == score_type]
    return max(chosen, key=lambda s: (s.at, s.source), default=None)


def score_risk(inputs: RiskInputs, policy: RiskPolicy = DEFAULT_RISK_POLICY) -> RiskScore:
    severity = dict(policy.severity_points)
    rating = dict(policy.rating_points)
    components: dict[str, dict[str, object]] = {}
    times: list[datetime] = []

    live = [a for a in inputs.alerts if a.status in ("open", "confirmed")]
    if inputs.alerts:
        value = _clamp(sum(severity.get(a.severity, 0.0) for a in live))
        components["fraud"] = {"value": value, "evidence": f"{len(live)} open/confirmed alert(s)"}
        times.extend(a.at for a in inputs.alerts)

    for name in ("aml", "credit", "behaviour"):
        signal = _newest(inputs.signals, name)
        if signal is None:
            continue
        if signal.rating is not None:
            value = rating.get(signal.rating, 0.0)
        elif name == "credit":
            low, high = policy.credit_scale
            value = _clamp((high - signal.score) / (high - low) * 100)
        else:
            value = _clamp(signal.score)
        components[name] = {"value": round(value, 2), "evidence": f"{name} {signal.rating or signal.score}"}
        times.append(signal.at)

    if "behaviour" not in components and inputs.failed_logins:
        value = _clamp(inputs.failed_logins * policy.failed_login_points)
        components["behaviour"] = {"value": value, "evidence": f"{inputs.failed_logins} failed login(s)"}
        if inputs.logins_at is not None:
            times.append(inputs.logins_at)

    weights = {name: policy.weight(name) for name in components}
    total = sum(weights.values())
    if not components or total <= 0:
        return RiskScore(0.0, "unknown", components, len(live), max(times, default=None), policy.version)
    score = round(sum(weights[n] * float(str(c["value"])) for n, c in components.items()) / total, 2)
    for name, component in components.items():
        component["weight"] = weights[name]
    return RiskScore(
        score, policy.level(score), components, len(live), max(times, default=None), policy.version
    )

"""Estimate m and u from unlabelled records (expectation maximisation, as Splink does).

* ``u`` (the chance a level occurs between two different people) from random pairs;
* ``m`` (the chance it occurs between two records of one person) by EM over the pairs of each
  blocking rule in turn, keeping ``u`` fixed, and only for comparisons the rule does not force to
  agree; the estimates of the sessions are averaged;
* the prior from the largest expected number of matches found by a session.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from identity._comparisons import CompiledComparison, FieldRecord
from identity._linker import blocked_pairs
from identity._settings import Comparison, IdentitySettings, Level

__all__ = ["train"]

_EPS = 1e-5
_W_EPS = 1e-6  # as IdentitySettings.weights()


def _levels(
    comps: Sequence[CompiledComparison], records: Sequence[FieldRecord], pairs: Sequence[tuple[int, int]]
) -> npt.NDArray[np.int8]:
    out = np.empty((len(pairs), len(comps)), dtype=np.int8)
    for row, (i, j) in enumerate(pairs):
        a, b = records[i], records[j]
        for col, c in enumerate(comps):
            out[row, col] = c.level(a, b)
    return out


def _distribution(levels: npt.NDArray[np.int8], n_levels: int) -> npt.NDArray[np.float64]:
    valid = levels[levels >= 0]
    counts = np.bincount(valid, minlength=n_levels).astype(np.float64) + 0.5
    out: npt.NDArray[np.float64] = counts / counts.sum()
    return out


def _base_fields(settings: IdentitySettings, fields: tuple[str, ...]) -> set[str]:
    out = set(fields)
    if "dob_year" in out:
        out.add("dob")
    if "first_initial" in out:
        out.add("first_name")
    if "middle_initial" in out:
        out.add("middle_name")
    if "last_initial" in out:
        out.add("last_name")
    return out


def train(
    settings: IdentitySettings,
    records: Sequence[FieldRecord],
    *,
    max_pairs: int = 200_000,
    iterations: int = 25,
    seed: int = 42,
    m_floor: float = 0.0,
    monotone: Literal["off", "exact", "ordered"] = "exact",
) -> IdentitySettings:
    """A copy of ``settings`` with m, u and the prior estimated from ``records``.

    ``m_floor`` keeps every level's ``m`` at least that high: training data cleaner than the data
    it will meet (a simulator) would otherwise make one disagreement a veto. ``monotone="exact"``
    caps every partial level's weight at the exact level's and ``else`` at 0 (levels the training
    data barely shows, e.g. nicknames in a simulator, would otherwise outweigh an exact agreement,
    and a disagreement on a near-constant field such as the city would count *for* a match);
    ``"ordered"`` also caps each level at every level before it (for templates whose levels are
    ordered by strength and data that cannot show some of them).
    """
    settings.validate_all()
    rng = random.Random(seed)
    comps = [CompiledComparison(c) for c in settings.comparisons]
    sizes = [len(c.tests) + 1 for c in comps]
    n = len(records)
    if n < 2:
        return settings
    total_pairs = n * (n - 1) / 2

    random_pairs = []
    for _ in range(min(max_pairs, int(total_pairs))):
        i, j = rng.randrange(n), rng.randrange(n)
        if i != j:
            random_pairs.append((min(i, j), max(i, j)))
    rl = _levels(comps, records, random_pairs)
    u = [_distribution(rl[:, k], sizes[k]) for k in range(len(comps))]

    m_sum = [np.zeros(s) for s in sizes]
    m_count = [0] * len(comps)
    best_matches = 0.0
    for rule in settings.training_rules or settings.blocking_rules:
        pairs = list(blocked_pairs(records, settings.model_copy(update={"blocking_rules": (rule,)})))
        if len(pairs) < 10:
            continue
        if len(pairs) > max_pairs:
            pairs = rng.sample(pairs, max_pairs)
        lv = _levels(comps, records, pairs)
        forced = _base_fields(settings, rule.fields)
        free = [k for k, c in enumerate(settings.comparisons) if c.field not in forced]
        m = [
            np.linspace(0.9, 0.1, sizes[k]) / np.linspace(0.9, 0.1, sizes[k]).sum() for k in range(len(comps))
        ]
        lam = 0.5
        log_u = [np.log2(np.maximum(x, _EPS)) for x in u]
        for _ in range(iterations):
            w = np.full(len(pairs), math.log2(lam / (1 - lam)))
            for k in free:
                col = lv[:, k]
                ok = col >= 0
                wk = np.log2(np.maximum(m[k], _EPS)) - log_u[k]
                w[ok] += wk[col[ok]]
            p = 1.0 / (1.0 + np.exp2(-np.clip(w, -60, 60)))
            lam = float(np.clip(p.mean(), _EPS, 1 - _EPS))
            for k in free:
                col = lv[:, k]
                ok = col >= 0
                tot = np.bincount(col[ok], weights=p[ok], minlength=sizes[k]) + 0.01
                m[k] = tot / tot.sum()
        for k in free:
            m_sum[k] += m[k]
            m_count[k] += 1
        best_matches = max(best_matches, lam * len(pairs))

    comparisons = []
    for k, c in enumerate(settings.comparisons):
        mk = (
            m_sum[k] / m_count[k]
            if m_count[k]
            else np.linspace(0.9, 0.1, sizes[k]) / np.linspace(0.9, 0.1, sizes[k]).sum()
        )
        if m_floor > 0:
            mk = np.maximum(mk, m_floor)
            mk = mk / mk.sum()
        if monotone != "off":
            exact = [x for x, lv in enumerate(c.levels) if lv.kind == "exact"]
            mk = _monotone(mk, u[k], exact[0] if exact else 0, ordered=monotone == "ordered")
        levels = tuple(
            Level(**{**lv.model_dump(), "m": float(mk[x]), "u": float(u[k][x])})
            for x, lv in enumerate(c.levels)
        )
        comparisons.append(
            c.model_copy(update={"levels": levels, "else_m": float(mk[-1]), "else_u": float(u[k][-1])})
        )
    prior = min(max(best_matches / total_pairs, 1e-9), 0.5)
    return settings.model_copy(
        update={
            "comparisons": tuple(comparisons),
            "prior": prior,
            "trained": True,
            "term_frequencies": _term_frequencies(comparisons, records),
        }
    )


def _monotone(
    m: npt.NDArray[np.float64], u: npt.NDArray[np.float64], ref: int = 0, ordered: bool = False
) -> npt.NDArray[np.float64]:
    """Lower ``m`` where a partial level would outweigh the exact level ``ref`` (``ordered``: any
    level before it), or ``else`` would count for a match (disagreement is never evidence *for*);
    renormalised (all weights shift alike)."""
    out = m.copy()
    last = len(out) - 1

    def weight(x: int) -> float:
        return math.log2(max(out[x], _W_EPS) / max(u[x], _W_EPS))

    for _ in range(20):  # renormalising raises every weight a little: repeat until it holds
        changed = False
        running = math.inf
        for x in range(len(out)):
            if x == ref:
                running = min(running, weight(x))
                continue
            cap = min(weight(ref), running) if ordered else weight(ref)
            if x == last:
                cap = min(cap, 0.0)
            if weight(x) > cap + 1e-9:
                out[x] = max(u[x], _W_EPS) * 2.0 ** (cap - 1e-6)
                changed = True
            running = min(running, weight(x))
        out = out / out.sum()
        if not changed:
            break
    return out


def _term_frequencies(
    comparisons: Sequence[Comparison], records: Sequence[FieldRecord]
) -> dict[str, dict[str, float]]:
    """Each value's share of the records, for comparisons with ``term_frequency``: an exact agreement
    on it weighs ``log2(m / share)`` instead of the level's average ``log2(m / u)``."""
    out: dict[str, dict[str, float]] = {}
    for c in comparisons:
        if not c.term_frequency or not c.levels or c.levels[0].kind != "exact":
            continue
        col = CompiledComparison(c).index
        counts = Counter(r[col] for r in records if r[col])
        total = sum(counts.values())
        out[c.name] = {v: round(k / total, 10) for v, k in sorted(counts.items())} if total else {}
    return out

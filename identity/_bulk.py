"""Bulk resolution, vectorised: the same pairs and the same decisions as the online linker.

Pairs come from sorting each rule's keys (the first ``max_block`` records of a key in input
order, like the online indexes); levels are computed column-wise (``rapidfuzz.process.cpdist``
for string similarities), weights summed in the same order as :class:`Scorer`, so every pair gets
bit-for-bit the weight the online path computes, and the clusters are the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from identity._comparisons import FieldRecord
from identity._nicknames import canonical_given_name
from identity._scoring import Scorer
from identity._settings import FIELDS, IdentitySettings

__all__ = ["bulk_pairs", "fast_bulk_clusters"]

_INDEX = {f: i for i, f in enumerate(FIELDS)}
_DERIVED = {
    "dob_year": ("dob", 4),
    "first_initial": ("first_name", 1),
    "middle_initial": ("middle_name", 1),
    "last_initial": ("last_name", 1),
}
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def bulk_pairs(records: Sequence[FieldRecord], settings: IdentitySettings) -> tuple[Ints, Ints]:
    """Every distinct candidate pair ``(i, j)``, ``i < j``, as two arrays sorted by ``(i, j)``."""
    n = len(records)
    cap = settings.max_block
    codes: list[Ints] = []
    columns: dict[str, tuple[Ints, Bools]] = {}

    def coded(field: str) -> tuple[Ints, Bools]:
        if field not in columns:
            if field in _DERIVED:
                source, width = _DERIVED[field]
                k = _INDEX[source]
                values = [r[k][:width] for r in records]
            else:
                k = _INDEX[field]
                values = [r[k] for r in records]
            # hash-coded (pandas.factorize) rather than np.unique: sorting 1 M strings is slower
            array = np.array(values, dtype=object)
            codes, _ = pd.factorize(array)
            columns[field] = (np.asarray(codes, dtype=np.int64), np.asarray(array != "", dtype=bool))
        return columns[field]

    for rule in settings.blocking_rules:
        key, present = coded(rule.fields[0])
        for f in rule.fields[1:]:
            nxt, ok = coded(f)
            key = np.unique(key * (int(nxt.max()) + 1) + nxt, return_inverse=True)[1].astype(np.int64)
            present = present & ok
        idx = np.flatnonzero(present)
        if idx.size < 2:
            continue
        order = idx[np.argsort(key[idx], kind="stable")]
        sk = key[order]
        new_group = np.ones(order.size, dtype=bool)
        new_group[1:] = sk[1:] != sk[:-1]
        starts = np.flatnonzero(new_group)
        group_of = np.cumsum(new_group) - 1
        rank = np.arange(order.size) - starts[group_of]
        keep = rank < cap
        order, group_of = order[keep], group_of[keep]
        for d in range(1, cap):
            if order.size <= d:
                break
            same = group_of[d:] == group_of[:-d]
            if not same.any():
                break
            a, b = order[:-d][same], order[d:][same]
            codes.append(np.minimum(a, b) * n + np.maximum(a, b))
    if not codes:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    unique = np.unique(np.concatenate(codes))
    return unique // n, unique % n


def _column(records: Sequence[FieldRecord], field: str) -> npt.NDArray[np.object_]:
    i = _INDEX[field]
    return np.array([r[i] for r in records], dtype=object)


def _level_mask(
    kind: str,
    threshold: float | None,
    other: str | None,
    a: npt.NDArray[np.object_],
    b: npt.NDArray[np.object_],
    cols: dict[str, npt.NDArray[np.object_]],
    i: Ints,
    j: Ints,
    cache: dict[str, npt.NDArray[np.float64]],
) -> Bools:
    if kind == "exact":
        return np.asarray(a == b, dtype=bool)
    if kind == "jaro_winkler":
        if "jw" not in cache:
            # float64, as the online path: a float32 similarity rounds 0.87999… up to 0.88
            sim = cpdist(list(a), list(b), scorer=JaroWinkler.similarity, dtype=np.float64, workers=-1)
            cache["jw"] = np.asarray(sim, dtype=np.float64)
        return np.asarray(cache["jw"] >= (threshold or 0.0))
    if kind == "levenshtein":
        if "lev" not in cache:
            dist = cpdist(list(a), list(b), scorer=Levenshtein.distance, dtype=np.int64, workers=-1)
            cache["lev"] = np.asarray(dist, dtype=np.float64)
        return np.asarray(cache["lev"] <= int(threshold or 0))
    if kind == "nickname":
        return np.array(
            [canonical_given_name(x) == canonical_given_name(y) for x, y in zip(a, b, strict=True)],
            dtype=bool,
        )
    if kind == "transposed":
        assert other is not None
        o = cols.setdefault(other, np.empty(0, dtype=object))
        return np.asarray((a == o[j]) | (b == o[i]), dtype=bool)
    if kind == "initial":
        return np.array(
            [(len(x) == 1 or len(y) == 1) and x[0] == y[0] for x, y in zip(a, b, strict=True)], dtype=bool
        )
    if kind == "swapped_day_month":
        return np.array(
            [
                len(x) == len(y) == 8 and x[:4] == y[:4] and x[4:6] == y[6:] and x[6:] == y[4:6]
                for x, y in zip(a, b, strict=True)
            ],
            dtype=bool,
        )
    if kind == "same_year_month":
        return np.array([x[:6] == y[:6] for x, y in zip(a, b, strict=True)], dtype=bool)
    if kind == "same_year":
        return np.array([x[:4] == y[:4] for x, y in zip(a, b, strict=True)], dtype=bool)
    raise AssertionError(kind)  # pragma: no cover


def pair_weights(
    records: Sequence[FieldRecord], settings: IdentitySettings, i: Ints, j: Ints
) -> npt.NDArray[np.float64]:
    scorer = Scorer(settings)
    cols: dict[str, npt.NDArray[np.object_]] = {}
    total = np.full(i.size, scorer.prior_weight, dtype=np.float64)
    levels: list[Ints] = []
    for comp, weights, tf in zip(scorer.comparisons, scorer.weights, scorer.tf_weights, strict=True):
        c = comp.comparison
        for f in {c.field, *(lv.other_field for lv in c.levels if lv.other_field)}:
            if f not in cols:
                cols[f] = _column(records, f)
        col = cols[c.field]
        a, b = col[i], col[j]
        valid = (a != "") & (b != "")
        level = np.full(i.size, -1, dtype=np.int64)
        level[valid] = len(c.levels)
        cache: dict[str, npt.NDArray[np.float64]] = {}
        if valid.any():
            av, bv, iv, jv = a[valid], b[valid], i[valid], j[valid]
            lv_valid = np.full(av.size, len(c.levels), dtype=np.int64)
            for n in range(len(c.levels) - 1, -1, -1):  # reverse: the first level that holds wins
                spec = c.levels[n]
                mask = _level_mask(spec.kind, spec.threshold, spec.other_field, av, bv, cols, iv, jv, cache)
                lv_valid[mask] = n
            level[valid] = lv_valid
        w = np.asarray(weights, dtype=np.float64)
        add = np.zeros(i.size, dtype=np.float64)
        has = level >= 0
        add[has] = w[level[has]]
        if tf:
            exact = np.flatnonzero(level == 0)
            add[exact] = [tf.get(v, weights[0]) for v in a[exact]]
        total += add
        levels.append(level)
    for _, conditions in scorer.exclusions:
        excluded = np.ones(i.size, dtype=bool)
        for k, allowed in conditions:
            excluded &= np.isin(levels[k], sorted(allowed))
        total[excluded] = -np.inf
    return total


def fast_bulk_clusters(records: Sequence[FieldRecord], settings: IdentitySettings) -> list[int]:
    """Connected components of the thresholded pairs; each record → its cluster's oldest member."""
    i, j = bulk_pairs(records, settings)
    weights = pair_weights(records, settings, i, j)
    keep = weights >= Scorer(settings).threshold_weight
    parent = list(range(len(records)))

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for x, y in zip(i[keep].tolist(), j[keep].tolist(), strict=True):
        rx, ry = find(x), find(y)
        if rx != ry:
            if rx < ry:
                parent[ry] = rx
            else:
                parent[rx] = ry
    return [find(x) for x in range(len(records))]

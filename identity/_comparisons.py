"""Comparison levels evaluated on pairs of standardised records.

A record is a tuple of strings in :data:`identity.FIELDS` order (``""`` is missing). A compiled
comparison returns the index of the first level that holds, ``len(levels)`` for ``else`` and
``-1`` when either value is missing (null: no evidence either way).
"""

from __future__ import annotations

from collections.abc import Callable

from rapidfuzz.distance import JaroWinkler, Levenshtein

from identity._nicknames import canonical_given_name
from identity._settings import FIELDS, Comparison, Level

__all__ = ["CompiledComparison", "FieldRecord", "compile_comparison"]

FieldRecord = tuple[str, ...]
_Test = Callable[[str, str, FieldRecord, FieldRecord], bool]
_INDEX = {f: i for i, f in enumerate(FIELDS)}


def _test(level: Level) -> _Test:
    kind = level.kind
    t = level.threshold
    if kind == "exact":
        return lambda a, b, ra, rb: a == b
    if kind == "jaro_winkler":
        assert t is not None
        return lambda a, b, ra, rb: JaroWinkler.similarity(a, b, score_cutoff=t) >= t
    if kind == "levenshtein":
        assert t is not None
        k = int(t)
        return lambda a, b, ra, rb: Levenshtein.distance(a, b, score_cutoff=k) <= k
    if kind == "nickname":
        return lambda a, b, ra, rb: canonical_given_name(a) == canonical_given_name(b)
    if kind == "transposed":
        assert level.other_field is not None
        j = _INDEX[level.other_field]
        return lambda a, b, ra, rb: a == rb[j] or b == ra[j]
    if kind == "initial":
        return lambda a, b, ra, rb: (len(a) == 1 or len(b) == 1) and a[0] == b[0]
    if kind == "swapped_day_month":
        return lambda a, b, ra, rb: (
            len(a) == len(b) == 8 and a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]
        )
    if kind == "same_year_month":
        return lambda a, b, ra, rb: a[:6] == b[:6]
    if kind == "same_year":
        return lambda a, b, ra, rb: a[:4] == b[:4]
    raise AssertionError(kind)  # pragma: no cover - Literal exhausts the kinds


class CompiledComparison:
    __slots__ = ("comparison", "else_level", "index", "labels", "tests")

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison
        self.index = _INDEX[comparison.field]
        self.tests = tuple(_test(lv) for lv in comparison.levels)
        self.else_level = len(self.tests)
        self.labels = tuple(lv.label for lv in comparison.levels) + ("else",)

    def level(self, ra: FieldRecord, rb: FieldRecord) -> int:
        i = self.index
        a, b = ra[i], rb[i]
        if not a or not b:
            return -1
        for n, test in enumerate(self.tests):
            if test(a, b, ra, rb):
                return n
        return self.else_level

    def label(self, level: int) -> str:
        return "null" if level < 0 else self.labels[level]


def compile_comparison(comparison: Comparison) -> CompiledComparison:
    return CompiledComparison(comparison)

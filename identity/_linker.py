"""Clustering records into people: online (one record at a time) and bulk, with the same result.

Both modes score exactly the same candidate pairs: for each blocking rule, the first
``max_block`` records (in input order) that share a key. A pair whose match probability reaches the
threshold is a link; clusters are the connected components of the links. Online, a record joins
the cluster it links to, and links to two clusters merge them (the older cluster survives), which
is the incremental form of connected components — hence the same clusters as bulk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from identity._blocking import key_function
from identity._bulk import fast_bulk_clusters
from identity._comparisons import FieldRecord
from identity._scoring import Scorer
from identity._settings import IdentitySettings

__all__ = ["Link", "Linker", "OnlineResult", "blocked_pairs", "bulk_clusters", "reference_bulk_clusters"]


@dataclass(frozen=True, slots=True)
class Link:
    other: int
    weight: float


@dataclass(frozen=True, slots=True)
class OnlineResult:
    index: int
    cluster: int  # the cluster's oldest record
    links: tuple[Link, ...]
    merged: tuple[int, ...]  # clusters (oldest record) absorbed into ``cluster``


class _UnionFind:
    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        keep, drop = (ra, rb) if ra < rb else (rb, ra)  # the older (smaller) root survives
        self.parent[drop] = keep
        return keep


class Linker:
    """Online resolution with in-memory indexes per blocking rule."""

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.scorer = Scorer(settings)
        self._keys = tuple(key_function(r) for r in settings.blocking_rules)
        self._index: tuple[dict[tuple[str, ...], list[int]], ...] = tuple({} for _ in self._keys)
        self.records: list[FieldRecord] = []
        self._uf = _UnionFind()

    def __len__(self) -> int:
        return len(self.records)

    def candidates(self, record: FieldRecord, register: int | None = None) -> list[int]:
        cap = self.settings.max_block
        seen: set[int] = set()
        for key_of, index in zip(self._keys, self._index, strict=True):
            key = key_of(record)
            if key is None:
                continue
            block = index.get(key)
            if block is None:
                if register is not None:
                    index[key] = [register]
                continue
            if len(block) < cap:
                seen.update(block)
                if register is not None:
                    block.append(register)
        return sorted(seen)

    def add(self, record: FieldRecord) -> OnlineResult:
        i = self._uf.add()
        self.records.append(record)
        scorer, records = self.scorer, self.records
        threshold = scorer.threshold_weight
        links = []
        for j in self.candidates(record, register=i):
            w = scorer.weight(record, records[j])
            if w >= threshold:
                links.append(Link(j, w))
        roots = sorted({self._uf.find(link.other) for link in links})
        merged: list[int] = []
        cluster = i
        if roots:
            cluster = roots[0]
            for r in roots[1:]:
                self._uf.union(cluster, r)
                merged.append(r)
            self._uf.union(cluster, i)
        return OnlineResult(i, cluster, tuple(links), tuple(merged))

    def cluster_of(self, i: int) -> int:
        return self._uf.find(i)

    def clusters(self) -> list[int]:
        return [self._uf.find(i) for i in range(len(self.records))]


def blocked_pairs(records: Sequence[FieldRecord], settings: IdentitySettings) -> Iterator[tuple[int, int]]:
    """Every distinct candidate pair ``(i, j)``, ``i < j``, under the same caps as the online mode."""
    cap = settings.max_block
    seen: set[int] = set()
    n = len(records)
    for rule in settings.blocking_rules:
        key_of = key_function(rule)
        blocks: dict[tuple[str, ...], list[int]] = {}
        for i, r in enumerate(records):
            key = key_of(r)
            if key is None:
                continue
            block = blocks.setdefault(key, [])
            if len(block) < cap:
                block.append(i)
        for block in blocks.values():
            for x, i in enumerate(block):
                for j in block[x + 1 :]:
                    code = i * n + j
                    if code not in seen:
                        seen.add(code)
                        yield i, j


def bulk_clusters(records: Sequence[FieldRecord], settings: IdentitySettings) -> list[int]:
    """Connected components of the thresholded candidate pairs: each record → its oldest member.

    Vectorised (:mod:`identity._bulk`); :func:`reference_bulk_clusters` is the plain version.
    """
    return fast_bulk_clusters(records, settings)


def reference_bulk_clusters(records: Sequence[FieldRecord], settings: IdentitySettings) -> list[int]:
    """Pair by pair through :class:`Scorer`: the definition the vectorised bulk must equal."""
    scorer = Scorer(settings)
    threshold = scorer.threshold_weight
    uf = _UnionFind()
    for _ in records:
        uf.add()
    for i, j in blocked_pairs(records, settings):
        if scorer.weight(records[i], records[j]) >= threshold:
            uf.union(i, j)
    return [uf.find(i) for i in range(len(records))]

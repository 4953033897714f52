"""The identity-graph port and an in-memory implementation (tests, bulk runs)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from identity._record import IdentityRecord, KeyType, SourceRecordRef

__all__ = ["IdentityGraph", "InMemoryIdentityGraph", "StoredRecord"]


@dataclass(frozen=True, slots=True)
class StoredRecord:
    record: IdentityRecord
    gcid: str


class IdentityGraph(Protocol):
    def current(self, ref: SourceRecordRef) -> StoredRecord | None: ...

    def candidates(self, keys: Iterable[tuple[KeyType, str]], limit_per_key: int) -> list[StoredRecord]:
        """Records sharing at least one key, under their current (survivor) GCID."""

    def created_at(self, gcid: str) -> datetime: ...

    def create_gcid(self, gcid: str, at: datetime) -> None: ...

    def put_record(self, stored: StoredRecord, at: datetime) -> None: ...

    def merge(self, survivor: str, merged: str, at: datetime) -> list[SourceRecordRef]:
        """Move every record of ``merged`` under ``survivor``; ``merged`` becomes an alias."""

    def survivor(self, gcid: str) -> str | None:
        """Follow aliases; ``None`` for a GCID never issued."""

    def members(self, gcid: str) -> list[SourceRecordRef]:
        """Records currently under ``gcid`` (a survivor), sorted."""

    def move(self, refs: list[SourceRecordRef], gcid: str, at: datetime) -> None:
        """Put existing records under ``gcid`` (a split)."""


class InMemoryIdentityGraph:
    def __init__(self) -> None:
        self._records: dict[SourceRecordRef, StoredRecord] = {}
        self._by_key: dict[tuple[KeyType, str], set[SourceRecordRef]] = defaultdict(set)
        self._created: dict[str, datetime] = {}
        self._alias: dict[str, str] = {}

    def current(self, ref: SourceRecordRef) -> StoredRecord | None:
        return self._records.get(ref)

    def candidates(self, keys: Iterable[tuple[KeyType, str]], limit_per_key: int) -> list[StoredRecord]:
        refs: set[SourceRecordRef] = set()
        for key in keys:
            refs.update(sorted(self._by_key.get(key, ()))[:limit_per_key])
        return [self._records[r] for r in sorted(refs)]

    def created_at(self, gcid: str) -> datetime:
        return self._created[gcid]

    def create_gcid(self, gcid: str, at: datetime) -> None:
        self._created[gcid] = at

    def put_record(self, stored: StoredRecord, at: datetime) -> None:
        old = self._records.get(stored.record.ref)
        if old is not None:
            for key in old.record.keys():
                self._by_key[key].discard(old.record.ref)
        self._records[stored.record.ref] = stored
        for key in stored.record.keys():
            self._by_key[key].add(stored.record.ref)

    def merge(self, survivor: str, merged: str, at: datetime) -> list[SourceRecordRef]:
        moved = [ref for ref, s in self._records.items() if s.gcid == merged]
        for ref in moved:
            self._records[ref] = StoredRecord(self._records[ref].record, survivor)
        self._alias[merged] = survivor
        return sorted(moved)

    def survivor(self, gcid: str) -> str | None:
        if gcid not in self._created:
            return None
        while gcid in self._alias:
            gcid = self._alias[gcid]
        return gcid

    def members(self, gcid: str) -> list[SourceRecordRef]:
        return sorted(ref for ref, s in self._records.items() if s.gcid == gcid)

    def move(self, refs: list[SourceRecordRef], gcid: str, at: datetime) -> None:
        for ref in refs:
            self._records[ref] = StoredRecord(self._records[ref].record, gcid)

    def clusters(self) -> dict[str, set[SourceRecordRef]]:
        out: dict[str, set[SourceRecordRef]] = defaultdict(set)
        for ref, s in self._records.items():
            out[s.gcid].add(ref)
        return dict(out)

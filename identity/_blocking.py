"""Blocking keys: a record's key under each rule (``None`` when a field is missing)."""

from __future__ import annotations

from collections.abc import Callable

from identity._comparisons import FieldRecord
from identity._settings import FIELDS, BlockingRule

__all__ = ["KeyFunction", "key_function"]

KeyFunction = Callable[[FieldRecord], tuple[str, ...] | None]
_INDEX = {f: i for i, f in enumerate(FIELDS)}


def _part(field: str) -> Callable[[FieldRecord], str]:
    if field == "dob_year":
        i = _INDEX["dob"]
        return lambda r: r[i][:4]
    if field == "first_initial":
        i = _INDEX["first_name"]
        return lambda r: r[i][:1]
    if field == "middle_initial":
        i = _INDEX["middle_name"]
        return lambda r: r[i][:1]
    if field == "last_initial":
        i = _INDEX["last_name"]
        return lambda r: r[i][:1]
    i = _INDEX[field]
    return lambda r: r[i]


def key_function(rule: BlockingRule) -> KeyFunction:
    parts = tuple(_part(f) for f in rule.fields)

    def key(r: FieldRecord) -> tuple[str, ...] | None:
        out = tuple(p(r) for p in parts)
        return None if not all(out) else out

    return key

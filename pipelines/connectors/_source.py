"""The port every capture mode implements, and what a read returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pipelines.connectors._mapper import Change, RawValue
from pipelines.connectors._mapping import Lookup

__all__ = ["Batch", "ChangeSource"]


@dataclass(frozen=True, slots=True)
class Batch:
    """Changes after a position, in source order, and the position to commit once they are out."""

    changes: list[Change]
    position: str | None
    lag_s: float | None = None
    extra: dict[str, str] = field(default_factory=dict)
    #: The source stopped before the end of what it has (batch size or time budget reached).
    more: bool = False


class ChangeSource(Protocol):
    mode: str

    def read(self, position: str | None, limit: int) -> Batch:
        """Changes strictly after ``position`` (None: from the start of capture)."""

    def acknowledge(self, position: str) -> None:
        """The changes up to ``position`` are committed downstream; the source may release them."""

    def lookup(self, rule: Lookup, value: str) -> RawValue: ...

    def close(self) -> None: ...

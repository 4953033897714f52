"""In-memory adapter of both feature ports, for tests of other packages.

It follows the services-mode (Redis) write rule: a row older than the stored row of the same
(view, GCID) does not replace it online; reads go through :func:`features.decision_context` (view
ttl, windows elapsed) at the store's clock, like the Feast adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from feature_repo.catalog import STREAMED_VIEWS
from features.activity import FeatureRow
from features.context import DECISION_FEATURES, OnlineFeatures, ViewRow, decision_context

__all__ = ["InMemoryFeatureStore"]


def _now() -> datetime:
    return datetime.now(UTC)


class InMemoryFeatureStore:
    """``FeatureWriter`` and ``FeatureReader`` over dicts; ``pushed_rows`` keeps every row (the
    "offline" log)."""

    def __init__(self, rows: Sequence[FeatureRow] = (), *, clock: Callable[[], datetime] = _now) -> None:
        self._clock = clock
        self.pushed_rows: list[FeatureRow] = []
        self._online_rows: dict[tuple[str, str], FeatureRow] = {}
        self.push_rows(rows)

    @property
    def supplied_features(self) -> frozenset[str]:
        return frozenset(DECISION_FEATURES)

    def push_rows(self, rows: Sequence[FeatureRow]) -> None:
        for row in rows:
            self.pushed_rows.append(row)
            current = self._online_rows.get((row.view, row.gcid))
            if current is None or row.event_timestamp >= current.event_timestamp:
                self._online_rows[(row.view, row.gcid)] = row

    def online_row(self, view: str, gcid: str) -> FeatureRow | None:
        """The newest row of ``view`` pushed for ``gcid`` (no ttl applied)."""
        return self._online_rows.get((view, gcid))

    def online_features(self, gcid: str) -> OnlineFeatures:
        rows: dict[str, ViewRow] = {}
        for view in STREAMED_VIEWS:
            row = self._online_rows.get((view.name, gcid))
            if row is not None:
                rows[view.name] = (row.event_timestamp, row.values)
        return decision_context(gcid, rows, self._clock())

"""In-memory adapter of both feature ports, for tests of other packages.

It follows the services-mode (Redis) write rule: a row older than the stored row of the same GCID
does not replace it online, and it applies the view ttl on reads like the Feast adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from features.activity import FeatureRow
from features.ports import OnlineFeatures
from features.window import VelocityRow

__all__ = ["InMemoryFeatureStore"]

_VELOCITY_TTL = timedelta(hours=24)  # == feature_repo.views.transactions.TRANSACTION_VELOCITY_TTL


def _now() -> datetime:
    return datetime.now(UTC)


class InMemoryFeatureStore:
    """``FeatureWriter`` and ``FeatureReader`` over dicts; ``pushed`` keeps every row (the "offline" log)."""

    def __init__(
        self,
        rows: Sequence[VelocityRow] = (),
        *,
        ttl: timedelta | None = _VELOCITY_TTL,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._online: dict[str, VelocityRow] = {}
        self.pushed: list[VelocityRow] = []
        self.pushed_rows: list[FeatureRow] = []
        self._online_rows: dict[tuple[str, str], FeatureRow] = {}
        self.push(rows)

    def push_rows(self, rows: Sequence[FeatureRow]) -> None:
        for row in rows:
            self.pushed_rows.append(row)
            current = self._online_rows.get((row.view, row.gcid))
            if current is None or row.event_timestamp >= current.event_timestamp:
                self._online_rows[(row.view, row.gcid)] = row

    def online_row(self, view: str, gcid: str) -> FeatureRow | None:
        """The newest row of ``view`` pushed for ``gcid`` (no ttl applied)."""
        return self._online_rows.get((view, gcid))

    def push(self, rows: Sequence[VelocityRow]) -> None:
        for row in rows:
            self.pushed.append(row)
            current = self._online.get(row.gcid)
            if current is None or row.event_timestamp >= current.event_timestamp:
                self._online[row.gcid] = row

    def online_features(self, gcid: str) -> OnlineFeatures:
        row = self._online.get(gcid)
        if row is None or (self._ttl is not None and self._clock() - row.event_timestamp > self._ttl):
            return OnlineFeatures(gcid=gcid)
        return OnlineFeatures(
            gcid=gcid,
            txn_count_24h=row.txn_count_24h,
            txn_amount_sum_24h=row.txn_amount_sum_24h,
            event_timestamp=row.event_timestamp,
        )

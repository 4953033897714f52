"""The decision context: every feature of the rule vocabulary for one GCID, as served now.

:func:`decision_context` turns the rows the online store holds for a GCID (one per streamed view,
each with the time it is as of) into :class:`OnlineFeatures` with one value per name of
:data:`feature_repo.catalog.FEATURES`, null where nothing current is known:

* a view whose row is older than the view's ttl is absent (Feast's rule, online and offline);
* a windowed aggregate (``Column.window``) whose row is older than its window no longer
  describes the last window (the velocity of a customer idle for two days is not their count of
  two days ago): null, like an expired view;
* a name no view answered is null.

Every reader of the decision context (Feast, the direct Redis read, the in-memory store, the
backtest) goes through this one function, so rules see the same values wherever they run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from feature_repo.catalog import FEATURES, STREAMED_VIEWS
from features.activity import FeatureValue

__all__ = ["DECISION_FEATURES", "OnlineFeatures", "ViewRow", "decision_context"]

#: The rule vocabulary's feature names, in catalog order.
DECISION_FEATURES: tuple[str, ...] = tuple(FEATURES)

#: A view's row for one GCID as the online store holds it: (as of, values), or ``(None, None)``.
ViewRow = tuple[datetime | None, Mapping[str, FeatureValue] | None]


@dataclass(frozen=True, slots=True)
class OnlineFeatures:
    """The decision context of one GCID: every feature of the rule vocabulary (``values``; null
    when unknown or stale) and the time of the newest row it was read from (``None`` when no view
    had a current row)."""

    gcid: str
    values: Mapping[str, FeatureValue] = field(default_factory=lambda: dict.fromkeys(DECISION_FEATURES))
    event_timestamp: datetime | None = None

    @property
    def found(self) -> bool:
        return self.event_timestamp is not None

    def get(self, name: str) -> FeatureValue:
        """The value of feature ``name`` (``KeyError`` for a name outside the vocabulary)."""
        return self.values[name]

    def integer(self, name: str) -> int | None:
        value = self.values[name]
        return None if value is None else int(value)

    def number(self, name: str) -> float | None:
        value = self.values[name]
        return None if value is None else float(value)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def decision_context(gcid: str, rows: Mapping[str, ViewRow], now: datetime) -> OnlineFeatures:
    """The decision context of ``gcid`` at ``now`` from its rows by view name (views without a
    row may be left out)."""
    values: dict[str, FeatureValue] = dict.fromkeys(DECISION_FEATURES)
    newest: datetime | None = None
    for view in STREAMED_VIEWS:
        stamp, row = rows.get(view.name, (None, None))
        if stamp is None or row is None:
            continue
        age = now - _utc(stamp)
        if age > view.ttl:
            continue
        current = False
        for column in view.columns:
            if column.window is not None and age > column.window:
                continue
            values[column.name] = row.get(column.name)
            current = True
        if current and (newest is None or _utc(stamp) > newest):
            newest = _utc(stamp)
    return OnlineFeatures(gcid=gcid, values=values, event_timestamp=newest)

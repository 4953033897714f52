"""Transaction feature views: ``transaction_windows`` (1 h/24 h/7 d/30 d aggregates and 24 h counts
by channel) and ``counterparty_novelty``, both as of each posted transaction (computed by
:class:`features.CustomerActivity`; columns declared in :mod:`feature_repo.catalog`).
"""

from __future__ import annotations

from feast import FeatureView, PushSource

from feature_repo.catalog import COUNTERPARTY_NOVELTY, TRANSACTION_WINDOWS
from feature_repo.views._build import streamed_view

__all__ = ["counterparty_novelty_view", "transaction_windows_view"]


def transaction_windows_view(source: PushSource) -> FeatureView:
    """``transaction_windows`` (1 h/24 h/7 d/30 d aggregates and 24 h counts by channel)."""
    return streamed_view(TRANSACTION_WINDOWS, source)


def counterparty_novelty_view(source: PushSource) -> FeatureView:
    """``counterparty_novelty`` (new payees in 24 h, distinct counterparties in 7 d)."""
    return streamed_view(COUNTERPARTY_NOVELTY, source)

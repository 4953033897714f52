"""Transaction feature views.

``transaction_velocity``: count and sum of a customer's transactions over the sliding 24 h
window ``(t - 24h, t]`` as of each transaction's time ``t`` (computed by
:class:`features.window.TransactionVelocity`). Amounts are in major currency units.

The view ``ttl`` equals the window on purpose: a row older than 24 h no longer describes the last
24 h (the true count is then 0), so the point-in-time join returns null for it, and the online
adapter treats such a row as absent too (train/serve parity).
"""

from __future__ import annotations

from datetime import timedelta

from feast import FeatureView, Field, PushSource
from feast.types import Float64, Int64, String

from feature_repo.catalog import COUNTERPARTY_NOVELTY, TRANSACTION_WINDOWS
from feature_repo.entities import customer
from feature_repo.views._build import streamed_view

__all__ = [
    "TRANSACTION_VELOCITY",
    "TRANSACTION_VELOCITY_FEATURES",
    "TRANSACTION_VELOCITY_TTL",
    "counterparty_novelty_view",
    "transaction_velocity_view",
    "transaction_windows_view",
]

TRANSACTION_VELOCITY = "transaction_velocity"
TRANSACTION_VELOCITY_FEATURES = ("txn_count_24h", "txn_amount_sum_24h")
TRANSACTION_VELOCITY_TTL = timedelta(hours=24)


def transaction_velocity_view(source: PushSource) -> FeatureView:
    return FeatureView(
        name=TRANSACTION_VELOCITY,
        entities=[customer],
        ttl=TRANSACTION_VELOCITY_TTL,
        schema=[
            Field(name="gcid", dtype=String),
            Field(name="txn_count_24h", dtype=Int64, description="Transactions in (t-24h, t]."),
            Field(
                name="txn_amount_sum_24h",
                dtype=Float64,
                description="Sum of amounts in (t-24h, t], major currency units.",
            ),
        ],
        online=True,
        source=source,
        description="Sliding 24 h transaction velocity per customer, pushed by the stream processor.",
        tags={"owner": "features", "domain": "transactions"},
    )


def transaction_windows_view(source: PushSource) -> FeatureView:
    """``transaction_windows`` (1 h/24 h/7 d/30 d aggregates and 24 h counts by channel)."""
    return streamed_view(TRANSACTION_WINDOWS, source)


def counterparty_novelty_view(source: PushSource) -> FeatureView:
    """``counterparty_novelty`` (new payees in 24 h, distinct counterparties in 7 d)."""
    return streamed_view(COUNTERPARTY_NOVELTY, source)

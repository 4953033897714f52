"""On-demand (request-time) features, computed in Python on the request path (``mode="python"``).

``transaction_request`` combines the request (amount, time) with the customer's streamed
``transaction_windows`` row:

* ``amount_vs_mean_30d``: request amount / mean amount of the last 30 d (null without history);
* ``seconds_since_last_txn``: request time - latest transaction time (null without history);
* ``hour_of_day_risk``: 1.0 for 00:00-04:59 East Africa Time (UTC+3), 0.5 for 22:00-23:59, else 0.

Feast stores the function's source and runs it detached from this module, so the body is
self-contained (no module-level names).
"""

from __future__ import annotations

from typing import Any

from feast import FeatureView, Field, RequestSource
from feast.on_demand_feature_view import OnDemandFeatureView, on_demand_feature_view
from feast.types import Float64

__all__ = [
    "TRANSACTION_REQUEST",
    "TRANSACTION_REQUEST_FEATURES",
    "transaction_request",
    "transaction_request_view",
]

TRANSACTION_REQUEST = "transaction_request"
TRANSACTION_REQUEST_FEATURES = ("amount_vs_mean_30d", "seconds_since_last_txn", "hour_of_day_risk")

transaction_request = RequestSource(
    name="transaction_request_data",
    schema=[
        Field(name="request_amount", dtype=Float64, description="Amount asked for, major units."),
        Field(name="request_epoch", dtype=Float64, description="Request time, Unix seconds (UTC)."),
    ],
    description="Values known only when a transaction is being decided.",
)


def transaction_request_view(windows: FeatureView) -> OnDemandFeatureView:
    @on_demand_feature_view(  # type: ignore[untyped-decorator]
        name=TRANSACTION_REQUEST,
        sources=[windows[["txn_amount_mean_30d", "last_txn_epoch"]], transaction_request],
        schema=[
            Field(name="amount_vs_mean_30d", dtype=Float64),
            Field(name="seconds_since_last_txn", dtype=Float64),
            Field(name="hour_of_day_risk", dtype=Float64),
        ],
        mode="python",
        description="Request-time transaction features (amount vs 30 d mean, recency, hour-of-day risk).",
        tags={"owner": "features", "domain": "transactions"},
    )
    def transaction_request_features(inputs: dict[str, Any]) -> dict[str, Any]:
        ratios, gaps, hours = [], [], []
        for amount, epoch, mean, last in zip(
            inputs["request_amount"],
            inputs["request_epoch"],
            inputs["txn_amount_mean_30d"],
            inputs["last_txn_epoch"],
            strict=True,
        ):
            ratios.append(None if amount is None or not mean else float(amount) / float(mean))
            gaps.append(None if epoch is None or last is None else max(0.0, float(epoch) - float(last)))
            hour = None if epoch is None else int(((float(epoch) + 3 * 3600) % 86400) // 3600)
            hours.append(None if hour is None else 1.0 if hour < 5 else 0.5 if hour >= 22 else 0.0)
        return {"amount_vs_mean_30d": ratios, "seconds_since_last_txn": gaps, "hour_of_day_risk": hours}

    view: OnDemandFeatureView = transaction_request_features
    return view

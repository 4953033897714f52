"""Feature services: the versioned contracts between features and their consumers.

A model or API reads through a service, never through loose feature references; a change to the
feature list is a new service name (``fraud_v2``), never an edit of a published one. The models
log the service name with every run (``models``), so a registered version names its contract.
"""

from __future__ import annotations

from collections.abc import Sequence

from feast import FeatureService, FeatureView
from feast.on_demand_feature_view import OnDemandFeatureView

__all__ = ["CREDIT_V1", "DECISION_CONTEXT_V1", "FRAUD_V1", "credit_v1", "decision_context_v1", "fraud_v1"]

DECISION_CONTEXT_V1 = "decision_context_v1"
FRAUD_V1 = "fraud_v1"
CREDIT_V1 = "credit_v1"


def decision_context_v1(streamed: Sequence[FeatureView]) -> FeatureService:
    """Every streamed feature (``feature_repo.catalog.FEATURES``): what decision rules read as
    ``features.<name>`` and ``GET /customer/{gcid}`` shows."""
    return FeatureService(
        name=DECISION_CONTEXT_V1,
        features=list(streamed),
        description="The decision rules' feature vocabulary: every streamed view, served by GCID.",
        tags={"owner": "features", "consumer": "bento_service"},
    )


def fraud_v1(
    windows: FeatureView,
    novelty: FeatureView,
    logins: FeatureView,
    profile: FeatureView,
    risk: FeatureView,
    request: OnDemandFeatureView,
) -> FeatureService:
    return FeatureService(
        name=FRAUD_V1,
        features=[
            windows[
                [
                    f"txn_{m}_{w}"
                    for w in ("1h", "24h", "7d", "30d")
                    for m in ("count", "amount_sum", "amount_mean", "amount_max")
                ]
            ],
            novelty,
            logins,
            profile[["tenure_days", "kyc_tier", "products_held"]],
            risk[["aml_rating", "open_fraud_alerts"]],
            request,
        ],
        description="Inputs of the transaction fraud model, version 1.",
        tags={"owner": "models", "consumer": "fraud"},
    )


def credit_v1(windows: FeatureView, profile: FeatureView, risk: FeatureView) -> FeatureService:
    return FeatureService(
        name=CREDIT_V1,
        features=[
            windows[["txn_count_30d", "txn_amount_sum_30d", "txn_amount_mean_30d", "txn_amount_max_30d"]],
            profile[["tenure_days", "kyc_tier", "products_held"]],
            risk[["aml_rating", "credit_score", "open_fraud_alerts"]],
        ],
        description="Inputs of the credit/risk model, version 1.",
        tags={"owner": "models", "consumer": "credit"},
    )

"""Feature services: the versioned contracts between features and their consumers.

A model or API reads through a service, never through loose feature references; a change to the
feature list is a new service name (``customer_profile_v2``), never an edit of a published one.
"""

from __future__ import annotations

from feast import FeatureService, FeatureView

__all__ = ["CUSTOMER_PROFILE_V1", "customer_profile_v1"]

CUSTOMER_PROFILE_V1 = "customer_profile_v1"


def customer_profile_v1(transaction_velocity: FeatureView) -> FeatureService:
    return FeatureService(
        name=CUSTOMER_PROFILE_V1,
        features=[transaction_velocity],
        description="Customer profile served by GET /customer/{gcid} and used by the decision service.",
        tags={"owner": "features", "consumer": "bento_service"},
    )

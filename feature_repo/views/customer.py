"""Customer profile and risk feature views (slowly changing state, long ttl)."""

from __future__ import annotations

from feast import FeatureView, PushSource

from feature_repo.catalog import CUSTOMER_PROFILE, CUSTOMER_RISK
from feature_repo.views._build import streamed_view

__all__ = ["customer_profile_view", "customer_risk_view"]


def customer_profile_view(source: PushSource) -> FeatureView:
    """``customer_profile`` (tenure, KYC tier, segment, products held)."""
    return streamed_view(CUSTOMER_PROFILE, source)


def customer_risk_view(source: PushSource) -> FeatureView:
    """``customer_risk`` (AML rating, credit score, open fraud alerts)."""
    return streamed_view(CUSTOMER_RISK, source)

"""Errors of the feature layer.

EnterpriseBrainError (kernel.errors)
└── FeatureStoreError (500)            a feature store call failed for a reason of ours
    └── FeatureStoreUnavailable (503)  the online/offline store or registry cannot be reached
"""

from __future__ import annotations

from kernel.errors import EnterpriseBrainError

__all__ = ["FeatureStoreError", "FeatureStoreUnavailable"]


class FeatureStoreError(EnterpriseBrainError):
    code = "feature-store-error"


class FeatureStoreUnavailable(FeatureStoreError):
    """The store did not answer: callers degrade (e.g. rules without features) and say so."""

    status = 503
    code = "feature-store-unavailable"

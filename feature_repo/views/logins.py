"""Login and device feature views."""

from __future__ import annotations

from feast import FeatureView, PushSource

from feature_repo.catalog import LOGIN_DEVICE
from feature_repo.views._build import streamed_view

__all__ = ["login_device_view"]


def login_device_view(source: PushSource) -> FeatureView:
    """``login_device`` (failed logins 1 h, distinct devices 30 d, new device, new location)."""
    return streamed_view(LOGIN_DEVICE, source)

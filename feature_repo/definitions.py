"""The whole feature repo as one value, built for one data directory.

``build_feature_repo(data_dir)`` is the single place that wires entities, sources, views and
services together. Both paths that register objects use it:

* ``FeastFeatureStore.apply()`` (features.feast_store) with the directory derived from
  the ``BrainSettings`` it was given;
* the ``feast`` CLI, through :mod:`feature_repo.repo`, with the directory derived from
  ``BrainSettings()`` (i.e. ``EB_RUN_DIR`` and ``EB_PROFILE``).

so the CLI and the programmatic path register the same objects with the same Parquet paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from feast import Entity, FeatureService, FeatureView, FileSource, PushSource, RequestSource
from feast.feast_object import FeastObject
from feast.on_demand_feature_view import OnDemandFeatureView

from feature_repo.catalog import (
    COUNTERPARTY_NOVELTY,
    CUSTOMER_PROFILE,
    CUSTOMER_RISK,
    LOGIN_DEVICE,
    TRANSACTION_WINDOWS,
    ViewColumns,
)
from feature_repo.entities import account, customer, device
from feature_repo.on_demand import transaction_request, transaction_request_view
from feature_repo.services import credit_v1, decision_context_v1, fraud_v1
from feature_repo.sources import push_source
from feature_repo.views.customer import customer_profile_view, customer_risk_view
from feature_repo.views.logins import login_device_view
from feature_repo.views.transactions import counterparty_novelty_view, transaction_windows_view

__all__ = ["FeatureRepo", "build_feature_repo", "feature_data_dir"]


def feature_data_dir(run_dir: Path, profile: str) -> Path:
    """Where the offline Parquet files of a profile live: ``<run_dir>/<profile>/features``."""
    return run_dir / profile / "features"


@dataclass(frozen=True, slots=True)
class FeatureRepo:
    customer: Entity
    account: Entity
    device: Entity
    streamed: tuple[tuple[ViewColumns, PushSource, FeatureView], ...]
    """The catalog's streamed views with their push sources (features.activity feeds them)."""
    transaction_request_source: RequestSource
    transaction_request: OnDemandFeatureView
    decision_context_v1: FeatureService
    fraud_v1: FeatureService
    credit_v1: FeatureService

    @property
    def push_sources(self) -> tuple[PushSource, ...]:
        return tuple(push for _, push, _ in self.streamed)

    @property
    def batch_sources(self) -> tuple[FileSource, ...]:
        out = []
        for push in self.push_sources:
            batch = push.batch_source
            assert isinstance(batch, FileSource)
            out.append(batch)
        return tuple(out)

    def view(self, name: str) -> FeatureView:
        for _, _, view in self.streamed:
            if view.name == name:
                return view
        raise KeyError(name)

    def feature_service(self, name: str) -> FeatureService:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    @property
    def services(self) -> tuple[FeatureService, ...]:
        return (self.decision_context_v1, self.fraud_v1, self.credit_v1)

    def objects(self) -> list[FeastObject]:
        """Everything ``feast apply`` registers, in dependency order."""
        return [
            self.customer,
            self.account,
            self.device,
            *self.batch_sources,
            *self.push_sources,
            self.transaction_request_source,
            *(view for _, _, view in self.streamed),
            self.transaction_request,
            *self.services,
        ]


def build_feature_repo(data_dir: Path) -> FeatureRepo:
    builders = (
        (TRANSACTION_WINDOWS, transaction_windows_view),
        (COUNTERPARTY_NOVELTY, counterparty_novelty_view),
        (LOGIN_DEVICE, login_device_view),
        (CUSTOMER_PROFILE, customer_profile_view),
        (CUSTOMER_RISK, customer_risk_view),
    )
    streamed = []
    for spec, build in builders:
        source = push_source(data_dir, spec.name, domain=spec.domain, description=spec.description)
        streamed.append((spec, source, build(source)))
    windows, novelty, logins, profile, risk = (view for _, _, view in streamed)
    request = transaction_request_view(windows)
    return FeatureRepo(
        customer=customer,
        account=account,
        device=device,
        streamed=tuple(streamed),
        transaction_request_source=transaction_request,
        transaction_request=request,
        decision_context_v1=decision_context_v1([view for _, _, view in streamed]),
        fraud_v1=fraud_v1(windows, novelty, logins, profile, risk, request),
        credit_v1=credit_v1(windows, profile, risk),
    )

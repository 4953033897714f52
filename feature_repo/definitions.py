"""The whole feature repo as one value, built for one data directory.

``build_feature_repo(data_dir)`` is the single place that wires entities, sources, views and
services together. Both paths that register objects use it:

* ``FeastFeatureStore.apply()`` (pipelines.features.feast_store) with the directory derived from
  the ``PipelineSettings`` it was given;
* the ``feast`` CLI, through :mod:`feature_repo.repo`, with the directory derived from
  ``get_pipeline_settings()`` (i.e. ``EB_RUN_DIR`` and ``EB_PROFILE``).

so the CLI and the programmatic path register the same objects with the same Parquet paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from feast import Entity, FeatureService, FeatureView, FileSource, PushSource
from feast.feast_object import FeastObject

from feature_repo.entities import account, customer, device
from feature_repo.services import customer_profile_v1
from feature_repo.sources import transaction_velocity_push
from feature_repo.views.transactions import transaction_velocity_view

__all__ = ["FeatureRepo", "build_feature_repo", "feature_data_dir"]


def feature_data_dir(run_dir: Path, profile: str) -> Path:
    """Where the offline Parquet files of a profile live: ``<run_dir>/<profile>/features``."""
    return run_dir / profile / "features"


@dataclass(frozen=True, slots=True)
class FeatureRepo:
    customer: Entity
    account: Entity
    device: Entity
    transaction_velocity_push: PushSource
    transaction_velocity: FeatureView
    customer_profile_v1: FeatureService

    @property
    def batch_sources(self) -> tuple[FileSource, ...]:
        batch = self.transaction_velocity_push.batch_source
        assert isinstance(batch, FileSource)
        return (batch,)

    def objects(self) -> list[FeastObject]:
        """Everything ``feast apply`` registers, in dependency order."""
        return [
            self.customer,
            self.account,
            self.device,
            *self.batch_sources,
            self.transaction_velocity_push,
            self.transaction_velocity,
            self.customer_profile_v1,
        ]


def build_feature_repo(data_dir: Path) -> FeatureRepo:
    push = transaction_velocity_push(data_dir)
    velocity = transaction_velocity_view(push)
    return FeatureRepo(
        customer=customer,
        account=account,
        device=device,
        transaction_velocity_push=push,
        transaction_velocity=velocity,
        customer_profile_v1=customer_profile_v1(velocity),
    )

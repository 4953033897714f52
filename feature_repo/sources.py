"""Data sources: push sources fed by the streaming processors, each backed by a Parquet file.

Every push source has a batch ``FileSource`` so that a push with ``PushMode.ONLINE_AND_OFFLINE``
also appends to the offline store, which ``get_historical_features`` and ``feast materialize``
read. The Parquet files live under the run directory, not in the repo, so sources are built by
factories that take the profile's data directory (see :mod:`feature_repo.definitions`).

Naming: the view ``<view>`` is fed by the push source ``<view>_push`` backed by the file source
``<view>_batch`` at ``<data_dir>/<view>.parquet``.
"""

from __future__ import annotations

from pathlib import Path

from feast import FileSource, PushSource

__all__ = [
    "TIMESTAMP_FIELD",
    "push_source",
    "push_source_name",
    "view_parquet",
]

TIMESTAMP_FIELD = "event_timestamp"


def push_source_name(view: str) -> str:
    return f"{view}_push"


def view_parquet(data_dir: Path, view: str) -> Path:
    """The offline Parquet file behind the push source of ``view``."""
    return data_dir / f"{view}.parquet"


def push_source(data_dir: Path, view: str, *, domain: str, description: str) -> PushSource:
    """The push source of ``view`` with its Parquet batch source under ``data_dir``."""
    tags = {"owner": "features", "domain": domain}
    batch = FileSource(
        name=f"{view}_batch",
        path=str(view_parquet(data_dir, view)),
        timestamp_field=TIMESTAMP_FIELD,
        description=f"Offline history of the {view} rows pushed by the processors.",
        tags=tags,
    )
    return PushSource(name=push_source_name(view), batch_source=batch, description=description, tags=tags)

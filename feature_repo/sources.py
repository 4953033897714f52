"""Data sources: push sources fed by the streaming processors, each backed by a Parquet file.

Every push source has a batch ``FileSource`` so that a push with ``PushMode.ONLINE_AND_OFFLINE``
also appends to the offline store, which ``get_historical_features`` and ``feast materialize``
read. The Parquet files live under the run directory, not in the repo, so sources are built by
factories that take the profile's data directory (see :mod:`feature_repo.definitions`).
"""

from __future__ import annotations

from pathlib import Path

from feast import FileSource, PushSource

__all__ = [
    "TIMESTAMP_FIELD",
    "TRANSACTION_VELOCITY_PUSH",
    "transaction_velocity_parquet",
    "transaction_velocity_push",
]

TIMESTAMP_FIELD = "event_timestamp"
TRANSACTION_VELOCITY_PUSH = "transaction_velocity_push"


def transaction_velocity_parquet(data_dir: Path) -> Path:
    """The offline Parquet file behind :data:`TRANSACTION_VELOCITY_PUSH`."""
    return data_dir / "transaction_velocity.parquet"


def transaction_velocity_push(data_dir: Path) -> PushSource:
    batch = FileSource(
        name="transaction_velocity_batch",
        path=str(transaction_velocity_parquet(data_dir)),
        timestamp_field=TIMESTAMP_FIELD,
        description="Offline history of the 24 h transaction velocity rows pushed by the processors.",
        tags={"owner": "features", "domain": "transactions"},
    )
    return PushSource(
        name=TRANSACTION_VELOCITY_PUSH,
        batch_source=batch,
        description="Streaming 24 h transaction velocity by GCID (pipelines.features.window).",
        tags={"owner": "features", "domain": "transactions"},
    )

"""The operational store (SQLAlchemy Core; PostgreSQL or SQLite) and its migrations."""

from kernel.storage.engine import create_db_engine, migrate, reader_engine, run_read
from kernel.storage.round_trip import RoundTrip

__all__ = ["RoundTrip", "create_db_engine", "migrate", "reader_engine", "run_read"]

"""The operational store (SQLAlchemy Core; PostgreSQL or SQLite) and its migrations."""

from pipelines.storage.engine import create_db_engine, migrate, reader_engine, run_read

__all__ = ["create_db_engine", "migrate", "reader_engine", "run_read"]

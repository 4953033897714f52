"""Alembic environment: runs on the connection handed over by :func:`pipelines.storage.engine.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from pipelines.storage.schema import metadata

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always invoked through migrate()
    raise RuntimeError("run migrations through pipelines.storage.engine.migrate(engine)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

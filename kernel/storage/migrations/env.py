"""Alembic environment: runs on the connection handed over by :func:`kernel.storage.engine.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kernel.storage.schema import metadata

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always invoked through migrate()
    raise RuntimeError("run migrations through kernel.storage.engine.migrate(engine)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

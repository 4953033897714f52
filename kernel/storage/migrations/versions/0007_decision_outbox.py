"""Decision events outbox marks (decision_log batches not yet published to decision.events).

Revision ID: 0007_decision_outbox
Revises: 0001

Replaces the ``decision.events`` position of the relay (``outbox_position``, 0006): records after
it get one mark. Runs before or after 0006 (both branch from 0001): without that table nothing was
ever published, so every record is marked.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_decision_outbox"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    outbox = op.create_table(
        "decision_outbox",
        sa.Column("lo", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hi", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lo", name=op.f("pk_decision_outbox")),
    )
    # records the position-based relay had not published yet: one mark covering them all
    conn = op.get_bind()
    relay = sa.inspect(conn).has_table("outbox_position")
    position = (
        conn.execute(
            sa.text("SELECT position FROM outbox_position WHERE name = 'decision.events'")
        ).scalar_one_or_none()
        if relay
        else None
    )
    head = conn.execute(sa.text("SELECT max(seq) FROM decision_log")).scalar_one_or_none()
    lo = int(position or 0) + 1
    if head is not None and int(head) >= lo:
        conn.execute(sa.insert(outbox).values(lo=lo, hi=int(head), created_at=datetime.now(UTC)))
    if relay:
        conn.execute(sa.text("DELETE FROM outbox_position WHERE name = 'decision.events'"))


def downgrade() -> None:
    op.drop_table("decision_outbox")

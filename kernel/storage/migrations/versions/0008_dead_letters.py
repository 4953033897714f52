"""Dead letters once per source record, and which DLQ records were replayed.

Revision ID: 0008_dead_letters
Revises: 0001

``dead_letter``: the first consumer group that rejects a record (topic, partition, offset)
publishes it to ``<topic>.dlq``; the others add their name to ``processors``. ``dlq_replay``: the
DLQ records ``brain dlq replay`` re-sent, so a later replay skips them and says so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0008_dead_letters"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letter",
        sa.Column("source_topic", sa.String(255), nullable=False),
        sa.Column("source_partition", sa.Integer(), nullable=False),
        sa.Column("source_offset", sa.BigInteger(), nullable=False),
        sa.Column("processors", _JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("dead_lettered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_topic", "source_partition", "source_offset", name=op.f("pk_dead_letter")
        ),
    )
    op.create_table(
        "dlq_replay",
        sa.Column("dlq_topic", sa.String(255), nullable=False),
        sa.Column("dlq_partition", sa.Integer(), nullable=False),
        sa.Column("dlq_offset", sa.BigInteger(), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dlq_topic", "dlq_partition", "dlq_offset", name=op.f("pk_dlq_replay")),
    )


def downgrade() -> None:
    op.drop_table("dlq_replay")
    op.drop_table("dead_letter")

"""Operational schema: identity graph, Customer 360, processor bookkeeping, decision log.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 15:18:03.940044
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_360",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("account_key", sa.String(length=256), nullable=False),
        sa.Column("customer_source_key", sa.String(length=256), nullable=False),
        sa.Column("account_number_masked", sa.String(length=64), nullable=True),
        sa.Column("account_type", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("balance", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("available_balance", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "account_key", name=op.f("pk_account_360")),
    )
    with op.batch_alter_table("account_360", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_360_source_system_customer_source_key"),
            ["source_system", "customer_source_key"],
            unique=False,
        )

    op.create_table(
        "customer_360",
        sa.Column("gcid", sa.String(length=40), nullable=False),
        sa.Column("customer_type", sa.String(length=16), nullable=False),
        sa.Column("full_name", sa.String(length=256), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("national_id", sa.String(length=32), nullable=True),
        sa.Column(
            "phones",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "emails",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("kyc_tier", sa.Integer(), nullable=True),
        sa.Column("kyc_status", sa.String(length=16), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        sa.Column("pep", sa.Boolean(), nullable=True),
        sa.Column("sanctioned", sa.Boolean(), nullable=True),
        sa.Column(
            "attribute_sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "source_records",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gcid", name=op.f("pk_customer_360")),
    )
    op.create_table(
        "customer_source_record",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=256), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_key", name=op.f("pk_customer_source_record")),
    )
    op.create_table(
        "decision_log",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("decision_type", sa.String(length=16), nullable=False),
        sa.Column("gcid", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column(
            "reason_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rule_set_version", sa.String(length=32), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_decision_log")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_decision_log_decision_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_decision_log_idempotency_key")),
    )
    with op.batch_alter_table("decision_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_log_gcid"), ["gcid"], unique=False)

    op.create_table(
        "gcid",
        sa.Column("gcid", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gcid", name=op.f("pk_gcid")),
    )
    with op.batch_alter_table("gcid", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gcid_merged_into"), ["merged_into"], unique=False)

    op.create_table(
        "identity_key",
        sa.Column("key_type", sa.String(length=32), nullable=False),
        sa.Column("key_value", sa.String(length=256), nullable=False),
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint(
            "key_type", "key_value", "source_system", "source_key", name=op.f("pk_identity_key")
        ),
    )
    op.create_table(
        "identity_lineage",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("cause_event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("gcid", sa.String(length=40), nullable=False),
        sa.Column("other_gcid", sa.String(length=40), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=128), nullable=False),
        sa.Column("settings_version", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_identity_lineage")),
        sa.UniqueConstraint("event_id", name=op.f("uq_identity_lineage_event_id")),
    )
    with op.batch_alter_table("identity_lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_lineage_gcid"), ["gcid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_identity_lineage_cause_event_id"), ["cause_event_id"], unique=False
        )

    op.create_table(
        "identity_record",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=256), nullable=False),
        sa.Column("gcid", sa.String(length=40), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_key", name=op.f("pk_identity_record")),
    )
    with op.batch_alter_table("identity_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_record_gcid"), ["gcid"], unique=False)

    op.create_table(
        "processed_event",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_event")),
    )
    op.create_table(
        "transaction_360",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("transaction_key", sa.String(length=256), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("customer_source_key", sa.String(length=256), nullable=False),
        sa.Column("account_key", sa.String(length=256), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("txn_type", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counterparty", sa.String(length=256), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("location", sa.String(length=128), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "transaction_key", name=op.f("pk_transaction_360")),
        sa.UniqueConstraint("event_id", name=op.f("uq_transaction_360_event_id")),
    )
    with op.batch_alter_table("transaction_360", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transaction_360_source_system_customer_source_key_occurred_at"),
            ["source_system", "customer_source_key", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "unresolved_event",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("customer_source_key", sa.String(length=256), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_unresolved_event")),
    )
    with op.batch_alter_table("unresolved_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unresolved_event_consumer_source_system_customer_source_key"),
            ["consumer", "source_system", "customer_source_key"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("unresolved_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unresolved_event_consumer_source_system_customer_source_key"))

    op.drop_table("unresolved_event")
    with op.batch_alter_table("transaction_360", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transaction_360_source_system_customer_source_key_occurred_at"))

    op.drop_table("transaction_360")
    op.drop_table("processed_event")
    with op.batch_alter_table("identity_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_record_gcid"))

    op.drop_table("identity_record")
    with op.batch_alter_table("identity_lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_lineage_gcid"))
        batch_op.drop_index(batch_op.f("ix_identity_lineage_cause_event_id"))

    op.drop_table("identity_lineage")
    op.drop_table("identity_key")
    with op.batch_alter_table("gcid", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gcid_merged_into"))

    op.drop_table("gcid")
    with op.batch_alter_table("decision_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_log_gcid"))

    op.drop_table("decision_log")
    op.drop_table("customer_source_record")
    op.drop_table("customer_360")
    with op.batch_alter_table("account_360", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_360_source_system_customer_source_key"))

    op.drop_table("account_360")

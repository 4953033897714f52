"""Customer 360 (issue 5): complete golden record, risk profile, devices, channel activity, lookups.

Revision ID: 0003_customer360
Revises: 0001
Create Date: 2026-11-25 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_customer360"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("customer_360", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_name", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("middle_name", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("last_name", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("gender", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("kra_pin", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("national_ids", _JSON, nullable=True))
        batch_op.add_column(sa.Column("addresses", _JSON, nullable=True))
        batch_op.add_column(sa.Column("policy_version", sa.String(length=32), nullable=True))
    with op.batch_alter_table("transaction_360", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_updated_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("counterparty_type", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("ip_address", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("card_last4", sa.String(length=4), nullable=True))

    op.create_table(
        "customer_360_key",
        sa.Column("key_type", sa.String(length=16), nullable=False),
        sa.Column("key_value", sa.String(length=256), nullable=False),
        sa.Column("gcid", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("key_type", "key_value", "gcid", name=op.f("pk_customer_360_key")),
    )
    op.create_index(op.f("ix_customer_360_key_gcid"), "customer_360_key", ["gcid"])
    op.create_table(
        "risk_signal",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("customer_source_key", sa.String(length=256), nullable=False),
        sa.Column("score_type", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("source_updated_at", _TS, nullable=False),
        sa.Column("last_event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_system", "customer_source_key", "score_type", name=op.f("pk_risk_signal")
        ),
    )
    op.create_table(
        "fraud_alert",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("alert_key", sa.String(length=256), nullable=False),
        sa.Column("customer_source_key", sa.String(length=256), nullable=False),
        sa.Column("alert_type", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("transaction_source_key", sa.String(length=256), nullable=True),
        sa.Column("raised_at", _TS, nullable=False),
        sa.Column("source_updated_at", _TS, nullable=False),
        sa.Column("last_event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "alert_key", name=op.f("pk_fraud_alert")),
    )
    op.create_index(
        op.f("ix_fraud_alert_source_system_customer_source_key"),
        "fraud_alert",
        ["source_system", "customer_source_key"],
    )
    op.create_table(
        "risk_profile",
        sa.Column("gcid", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("components", _JSON, nullable=False),
        sa.Column("open_alerts", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("as_of", _TS, nullable=False),
        sa.PrimaryKeyConstraint("gcid", name=op.f("pk_risk_profile")),
    )
    op.create_table(
        "device",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("customer_source_key", sa.String(length=256), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.Column("last_channel", sa.String(length=16), nullable=True),
        sa.Column("last_ip", sa.String(length=64), nullable=True),
        sa.Column("last_location", sa.String(length=128), nullable=True),
        sa.Column("logins", sa.Integer(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "customer_source_key", "device_id", name=op.f("pk_device")),
    )
    op.create_index(op.f("ix_device_device_id"), "device", ["device_id"])
    op.create_table(
        "channel_activity",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("customer_source_key", sa.String(length=256), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("logins", sa.Integer(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.Column("last_login_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint(
            "source_system", "customer_source_key", "channel", name=op.f("pk_channel_activity")
        ),
    )


def downgrade() -> None:
    op.drop_table("channel_activity")
    op.drop_index(op.f("ix_device_device_id"), table_name="device")
    op.drop_table("device")
    op.drop_table("risk_profile")
    op.drop_index(op.f("ix_fraud_alert_source_system_customer_source_key"), table_name="fraud_alert")
    op.drop_table("fraud_alert")
    op.drop_table("risk_signal")
    op.drop_index(op.f("ix_customer_360_key_gcid"), table_name="customer_360_key")
    op.drop_table("customer_360_key")
    with op.batch_alter_table("transaction_360", schema=None) as batch_op:
        for name in ("card_last4", "ip_address", "counterparty_type", "source_updated_at"):
            batch_op.drop_column(name)
    with op.batch_alter_table("customer_360", schema=None) as batch_op:
        for name in (
            "policy_version",
            "addresses",
            "national_ids",
            "kra_pin",
            "gender",
            "last_name",
            "middle_name",
            "first_name",
        ):
            batch_op.drop_column(name)

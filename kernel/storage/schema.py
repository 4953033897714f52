"""The operational database: identity graph, Customer 360, decision log, processor bookkeeping.

One SQLAlchemy ``MetaData`` for PostgreSQL (services) and SQLite (embedded); Alembic migrations in
``migrations/`` are the only way the schema changes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

__all__ = [
    "account_360",
    "connector_raw",
    "connector_state",
    "channel_activity",
    "customer_360",
    "dead_letter",
    "dlq_replay",
    "customer_360_key",
    "customer_source_record",
    "decision_log",
    "decision_outbox",
    "device",
    "fraud_alert",
    "gcid",
    "identity_key",
    "identity_lineage",
    "identity_record",
    "metadata",
    "outbox_position",
    "processed_event",
    "risk_profile",
    "risk_signal",
    "transaction_360",
    "unresolved_event",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both backends (SQLite stores naive values: they are UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime written to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Ts = UtcDateTime()

# --- identity graph -------------------------------------------------------------------------------

gcid = Table(
    "gcid",
    metadata,
    Column("gcid", String(40), primary_key=True),
    Column("created_at", Ts, nullable=False),
    Column("merged_into", String(40), nullable=True, index=True),
    Column("updated_at", Ts, nullable=False),
)

identity_record = Table(
    "identity_record",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("source_key", String(256), primary_key=True),
    Column("gcid", String(40), nullable=False, index=True),
    Column("attributes", Json, nullable=False),
    Column("occurred_at", Ts, nullable=False),
    Column("first_seen", Ts, nullable=False),
    Column("last_event_id", String(64), nullable=False),
)

identity_key = Table(
    "identity_key",
    metadata,
    Column("key_type", String(32), primary_key=True),
    Column("key_value", String(256), primary_key=True),
    Column("source_system", String(64), primary_key=True),
    Column("source_key", String(256), primary_key=True),
)

identity_lineage = Table(
    "identity_lineage",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("cause_event_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("gcid", String(40), nullable=False, index=True),
    Column("other_gcid", String(40), nullable=True),
    Column("detail", Json, nullable=False),
    Column("decided_by", String(128), nullable=False),
    Column("settings_version", String(32), nullable=False),
    Column("at", Ts, nullable=False),
)

# --- Customer 360 ---------------------------------------------------------------------------------

customer_source_record = Table(
    "customer_source_record",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("source_key", String(256), primary_key=True),
    Column("payload", Json, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("source_updated_at", Ts, nullable=False),
    Column("last_event_id", String(64), nullable=False),
)

customer_360 = Table(
    "customer_360",
    metadata,
    Column("gcid", String(40), primary_key=True),
    Column("customer_type", String(16), nullable=False),
    Column("full_name", String(256), nullable=True),
    Column("date_of_birth", Date, nullable=True),
    Column("national_id", String(32), nullable=True),
    Column("phones", Json, nullable=False),
    Column("emails", Json, nullable=False),
    Column("address", Text, nullable=True),
    Column("kyc_tier", Integer, nullable=True),
    Column("kyc_status", String(16), nullable=True),
    Column("segment", String(64), nullable=True),
    Column("pep", Boolean, nullable=True),
    Column("sanctioned", Boolean, nullable=True),
    Column("attribute_sources", Json, nullable=False),
    Column("source_records", Json, nullable=False),
    Column("updated_at", Ts, nullable=False),
    # issue 5 (migration 0003_customer360): names, all ids/addresses, policy version
    Column("first_name", String(128), nullable=True),
    Column("middle_name", String(128), nullable=True),
    Column("last_name", String(128), nullable=True),
    Column("gender", String(1), nullable=True),
    Column("kra_pin", String(16), nullable=True),
    Column("national_ids", Json, nullable=True),
    Column("addresses", Json, nullable=True),
    Column("policy_version", String(32), nullable=True),
)

account_360 = Table(
    "account_360",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("account_key", String(256), primary_key=True),
    Column("customer_source_key", String(256), nullable=False),
    Column("account_number_masked", String(64), nullable=True),
    Column("account_type", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("balance", Numeric(20, 4), nullable=True),
    Column("available_balance", Numeric(20, 4), nullable=True),
    Column("opened_on", Date, nullable=True),
    Column("source_updated_at", Ts, nullable=False),
    Column("last_event_id", String(64), nullable=False),
    Index(None, "source_system", "customer_source_key"),
)

transaction_360 = Table(
    "transaction_360",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("transaction_key", String(256), primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("customer_source_key", String(256), nullable=False),
    Column("account_key", String(256), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("txn_type", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("counterparty", String(256), nullable=True),
    Column("device_id", String(128), nullable=True),
    Column("location", String(128), nullable=True),
    Column("occurred_at", Ts, nullable=False),
    Index(None, "source_system", "customer_source_key", "occurred_at"),
    # issue 5 (migration 0003_customer360): order-safe status changes, more normalised fields
    Column("source_updated_at", Ts, nullable=True),
    Column("counterparty_type", String(16), nullable=True),
    Column("ip_address", String(64), nullable=True),
    Column("card_last4", String(4), nullable=True),
)

# --- processors' bookkeeping ----------------------------------------------------------------------

processed_event = Table(
    "processed_event",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", Ts, nullable=False),
)

#: One row per source record a processor dead-lettered (its topic, partition and offset): the
#: first consumer group to reject it publishes it to ``<topic>.dlq``, the others add their name.
dead_letter = Table(
    "dead_letter",
    metadata,
    Column("source_topic", String(255), primary_key=True),
    Column("source_partition", Integer, primary_key=True),
    Column("source_offset", BigInteger, primary_key=True),
    Column("processors", Json, nullable=False),
    Column("error", Text, nullable=False),
    Column("published", Boolean, nullable=False),
    Column("dead_lettered_at", Ts, nullable=False),
)

#: DLQ records ``brain dlq replay`` re-sent successfully (by their position on the DLQ topic).
dlq_replay = Table(
    "dlq_replay",
    metadata,
    Column("dlq_topic", String(255), primary_key=True),
    Column("dlq_partition", Integer, primary_key=True),
    Column("dlq_offset", BigInteger, primary_key=True),
    Column("replayed_at", Ts, nullable=False),
)

unresolved_event = Table(
    "unresolved_event",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("source_system", String(64), nullable=False),
    Column("customer_source_key", String(256), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("parked_at", Ts, nullable=False),
    Index(None, "consumer", "source_system", "customer_source_key"),
)

# --- decisions ------------------------------------------------------------------------------------

decision_log = Table(
    "decision_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("decision_id", String(64), nullable=False, unique=True),
    Column("idempotency_key", String(128), nullable=True, unique=True),
    Column("decision_type", String(16), nullable=False),
    Column("gcid", String(40), nullable=True, index=True),
    Column("outcome", String(16), nullable=False),
    Column("reason_codes", Json, nullable=False),
    Column("rule_set_version", String(32), nullable=False),
    Column("model_version", String(64), nullable=True),
    Column("score", Float, nullable=True),
    Column("degraded", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("record", Json, nullable=False),
    Column("decided_at", Ts, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("record_hash", String(64), nullable=False),
)

# --- decision relay (issue 7, migration 0006_decisions) ------------------------------------------

outbox_position = Table(
    "outbox_position",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", Ts, nullable=False),
)

# --- Decision events outbox, issue 7 round 4 (migration 0007_decision_outbox) ------------------------
# One row per committed decision-log batch not yet published to ``decision.events`` (``lo``..``hi``
# are the batch's ``seq`` range), inserted in the batch's own transaction and deleted once the API
# process that wrote the batch has published it; a sweeper publishes rows left behind (a crash,
# Kafka down). See :mod:`bento_service.outbox`.
decision_outbox = Table(
    "decision_outbox",
    metadata,
    Column("lo", BigInteger, primary_key=True, autoincrement=False),
    Column("hi", BigInteger, nullable=False),
    Column("created_at", Ts, nullable=False),
)

# --- Customer 360, issue 5 (migration 0003_customer360) --------------------------------------------
# Inputs are kept per source record (like accounts and transactions) and reach a GCID through
# ``identity_record``, so merges and splits move them without a rewrite; ``customer_360_key`` and
# ``risk_profile`` are per GCID and recomputed when a GCID's membership or inputs change.

customer_360_key = Table(
    "customer_360_key",
    metadata,
    Column("key_type", String(16), primary_key=True),
    Column("key_value", String(256), primary_key=True),
    Column("gcid", String(40), primary_key=True),
    Index(None, "gcid"),
)

risk_signal = Table(
    "risk_signal",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("customer_source_key", String(256), primary_key=True),
    Column("score_type", String(16), primary_key=True),
    Column("score", Float, nullable=False),
    Column("rating", String(16), nullable=True),
    Column("model", String(128), nullable=True),
    Column("source_updated_at", Ts, nullable=False),
    Column("last_event_id", String(64), nullable=False),
)

fraud_alert = Table(
    "fraud_alert",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("alert_key", String(256), primary_key=True),
    Column("customer_source_key", String(256), nullable=False),
    Column("alert_type", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("score", Float, nullable=True),
    Column("transaction_source_key", String(256), nullable=True),
    Column("raised_at", Ts, nullable=False),
    Column("source_updated_at", Ts, nullable=False),
    Column("last_event_id", String(64), nullable=False),
    Index(None, "source_system", "customer_source_key"),
)

risk_profile = Table(
    "risk_profile",
    metadata,
    Column("gcid", String(40), primary_key=True),
    Column("score", Float, nullable=False),
    Column("level", String(16), nullable=False),
    Column("components", Json, nullable=False),
    Column("open_alerts", Integer, nullable=False),
    Column("policy_version", String(32), nullable=False),
    Column("as_of", Ts, nullable=False),
)

device = Table(
    "device",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("customer_source_key", String(256), primary_key=True),
    Column("device_id", String(128), primary_key=True),
    Column("first_seen", Ts, nullable=False),
    Column("last_seen", Ts, nullable=False),
    Column("last_channel", String(16), nullable=True),
    Column("last_ip", String(64), nullable=True),
    Column("last_location", String(128), nullable=True),
    Column("logins", Integer, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("transactions", Integer, nullable=False),
    Column("last_event_id", String(64), nullable=False),
    Index(None, "device_id"),
)

channel_activity = Table(
    "channel_activity",
    metadata,
    Column("source_system", String(64), primary_key=True),
    Column("customer_source_key", String(256), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("logins", Integer, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("sessions", Integer, nullable=False),
    Column("transactions", Integer, nullable=False),
    Column("first_seen", Ts, nullable=False),
    Column("last_seen", Ts, nullable=False),
    Column("last_login_at", Ts, nullable=True),
)

# --- connectors (issue 3, migration 0004_connectors) ----------------------------------------------
# Each connector's committed source position and counters, and the raw records it captured
# (staging): every canonical event's (source_table, source_key, position) points at one row here.

connector_state = Table(
    "connector_state",
    metadata,
    Column("connector", String(128), primary_key=True),
    Column("mode", String(32), nullable=False),
    Column("position", Text, nullable=True),
    Column("rows_read", BigInteger, nullable=False, default=0),
    Column("events_produced", BigInteger, nullable=False, default=0),
    Column("errors", BigInteger, nullable=False, default=0),
    Column("lag_s", Float, nullable=True),
    Column("last_success_at", Ts, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("updated_at", Ts, nullable=False),
)

connector_raw = Table(
    "connector_raw",
    metadata,
    Column("connector", String(128), primary_key=True),
    Column("source_table", String(128), primary_key=True),
    Column("source_key", String(256), primary_key=True),
    Column("position", String(128), primary_key=True),
    Column("op", String(8), nullable=False),
    Column("raw", Json, nullable=False),
    Column("event_id", String(64), nullable=True),
    Column("captured_at", Ts, nullable=False),
)

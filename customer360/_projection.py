"""Writes of the Customer 360 projection, inside the caller's transaction.

Every write is idempotent and order-safe: a row carries the source time (and event id, the
tie-break) of the change it holds, and an older change never overwrites a newer one; first/last
times are min/max and counters are sums, so any order of the same events gives the same rows.
The processor guarantees each event is applied once (``processed_event``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from customer360._survivorship import DEFAULT_POLICY, SourceCustomer, SurvivorshipPolicy, golden_record
from pipelines.events import (
    AccountChanged,
    CustomerChanged,
    CustomerPayload,
    FraudAlertRaised,
    LoginAttempted,
    RiskScoreUpdated,
    TransactionPosted,
)
from pipelines.standardise import to_minor_units
from pipelines.storage.schema import (
    account_360,
    channel_activity,
    customer_360,
    customer_360_key,
    customer_source_record,
    device,
    fraud_alert,
    identity_record,
    risk_signal,
    transaction_360,
)

__all__ = [
    "drop_golden",
    "newer",
    "record_fraud_alert",
    "record_login",
    "record_risk_score",
    "refresh_golden",
    "upsert_account",
    "upsert_source_customer",
    "upsert_transaction",
]


def newer(at: datetime, event_id: str, held_at: datetime | None, held_event_id: str | None) -> bool:
    """Whether the change ``(at, event_id)`` is newer than the one held (event id breaks ties)."""
    if held_at is None:
        return True
    return (at, event_id) > (held_at, held_event_id or "")


def _upsert_newest(
    conn: Connection,
    table: Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    at: datetime,
    event_id: str,
    time_col: str = "source_updated_at",
    id_col: str = "last_event_id",
) -> bool:
    where = [table.c[name] == value for name, value in key.items()]
    held = conn.execute(select(table.c[time_col], table.c[id_col]).where(*where)).first()
    row = {**values, time_col: at, id_col: event_id}
    if held is None:
        conn.execute(insert(table).values(**key, **row))
        return True
    if not newer(at, event_id, held[0], held[1]):
        return False
    conn.execute(update(table).where(*where).values(**row))
    return True


def upsert_source_customer(conn: Connection, event: CustomerChanged) -> bool:
    """Keep the newest version of one source customer record; ``False`` when the event is stale."""
    return _upsert_newest(
        conn,
        customer_source_record,
        {"source_system": event.source_system, "source_key": event.source_key},
        {"payload": event.payload.model_dump(mode="json"), "deleted": event.payload.deleted},
        event.occurred_at,
        event.event_id,
    )


def upsert_account(conn: Connection, event: AccountChanged) -> bool:
    p = event.payload
    return _upsert_newest(
        conn,
        account_360,
        {"source_system": event.source_system, "account_key": event.source_key},
        {
            "customer_source_key": p.customer_source_key,
            "account_number_masked": p.account_number_masked,
            "account_type": p.account_type,
            "currency": p.currency,
            "status": "closed" if p.deleted else p.status,
            "balance": p.balance,
            "available_balance": p.available_balance,
            "opened_on": p.opened_on,
        },
        event.occurred_at,
        event.event_id,
    )


def upsert_transaction(conn: Connection, event: TransactionPosted) -> bool:
    """Insert a transaction once; a later change of it (status) updates it, an older one does not.

    ``occurred_at`` stays the earliest event time of the transaction (when it was posted).
    """
    p = event.payload
    key = (transaction_360.c.source_system == event.source_system) & (
        transaction_360.c.transaction_key == event.source_key
    )
    values = {
        "event_id": event.event_id,
        "customer_source_key": p.customer_source_key,
        "account_key": p.account_source_key,
        "amount_minor": to_minor_units(p.amount, p.currency),
        "currency": p.currency,
        "direction": p.direction,
        "txn_type": p.txn_type,
        "channel": p.channel,
        "status": p.status,
        "counterparty": p.counterparty,
        "counterparty_type": p.counterparty_type,
        "device_id": p.device_id,
        "ip_address": p.ip_address,
        "card_last4": p.card_last4,
        "location": p.location,
        "source_updated_at": event.occurred_at,
    }
    held = conn.execute(
        select(
            transaction_360.c.event_id, transaction_360.c.occurred_at, transaction_360.c.source_updated_at
        ).where(key)
    ).first()
    if held is None:
        conn.execute(
            insert(transaction_360).values(
                source_system=event.source_system,
                transaction_key=event.source_key,
                occurred_at=event.occurred_at,
                **values,
            )
        )
        _observe_activity(conn, event, count=1)
        return True
    if held.event_id == event.event_id:
        return False
    # every change of the transaction is seen activity (times), but it is counted once
    _observe_activity(conn, event, count=0)
    first = min(held.occurred_at, event.occurred_at)
    if not newer(
        event.occurred_at, event.event_id, held.source_updated_at or held.occurred_at, held.event_id
    ):
        if first != held.occurred_at:
            conn.execute(update(transaction_360).where(key).values(occurred_at=first))
        return False
    conn.execute(update(transaction_360).where(key).values(occurred_at=first, **values))
    return True


def _observe_activity(conn: Connection, event: TransactionPosted, count: int) -> None:
    p = event.payload
    _observe_channel(
        conn, event.source_system, p.customer_source_key, p.channel, event.occurred_at, txn=count
    )
    if p.device_id:
        _observe_device(
            conn,
            event.source_system,
            p.customer_source_key,
            p.device_id,
            event.occurred_at,
            event.event_id,
            channel=p.channel,
            ip=p.ip_address,
            location=p.location,
            transactions=count,
        )


def _observe_channel(
    conn: Connection,
    system: str,
    customer_key: str,
    channel: str,
    at: datetime,
    *,
    txn: int = 0,
    logins: int = 0,
    failed: int = 0,
    sessions: int = 0,
    login_at: datetime | None = None,
) -> None:
    where = (
        (channel_activity.c.source_system == system)
        & (channel_activity.c.customer_source_key == customer_key)
        & (channel_activity.c.channel == channel)
    )
    held = conn.execute(select(channel_activity).where(where)).first()
    if held is None:
        conn.execute(
            insert(channel_activity).values(
                source_system=system,
                customer_source_key=customer_key,
                channel=channel,
                logins=logins,
                failed_logins=failed,
                sessions=sessions,
                transactions=txn,
                first_seen=at,
                last_seen=at,
                last_login_at=login_at,
            )
        )
        return
    last_login = held.last_login_at
    if login_at is not None and (last_login is None or login_at > last_login):
        last_login = login_at
    conn.execute(
        update(channel_activity)
        .where(where)
        .values(
            logins=held.logins + logins,
            failed_logins=held.failed_logins + failed,
            sessions=held.sessions + sessions,
            transactions=held.transactions + txn,
            first_seen=min(held.first_seen, at),
            last_seen=max(held.last_seen, at),
            last_login_at=last_login,
        )
    )


def _observe_device(
    conn: Connection,
    system: str,
    customer_key: str,
    device_id: str,
    at: datetime,
    event_id: str,
    *,
    channel: str | None = None,
    ip: str | None = None,
    location: str | None = None,
    logins: int = 0,
    failed: int = 0,
    transactions: int = 0,
) -> None:
    where = (
        (device.c.source_system == system)
        & (device.c.customer_source_key == customer_key)
        & (device.c.device_id == device_id)
    )
    held = conn.execute(select(device).where(where)).first()
    latest = {"last_channel": channel, "last_ip": ip, "last_location": location, "last_event_id": event_id}
    if held is None:
        conn.execute(
            insert(device).values(
                source_system=system,
                customer_source_key=customer_key,
                device_id=device_id,
                first_seen=at,
                last_seen=at,
                logins=logins,
                failed_logins=failed,
                transactions=transactions,
                **latest,
            )
        )
        return
    values: dict[str, Any] = {
        "first_seen": min(held.first_seen, at),
        "logins": held.logins + logins,
        "failed_logins": held.failed_logins + failed,
        "transactions": held.transactions + transactions,
    }
    if newer(at, event_id, held.last_seen, held.last_event_id):
        values.update(latest, last_seen=at)
    conn.execute(update(device).where(where).values(**values))


def record_login(conn: Connection, event: LoginAttempted) -> None:
    p = event.payload
    ok = 1 if p.success else 0
    _observe_channel(
        conn,
        event.source_system,
        p.customer_source_key,
        p.channel,
        event.occurred_at,
        logins=ok,
        failed=1 - ok,
        sessions=1 if p.success and p.session_id else 0,
        login_at=event.occurred_at if p.success else None,
    )
    if p.device_id:
        _observe_device(
            conn,
            event.source_system,
            p.customer_source_key,
            p.device_id,
            event.occurred_at,
            event.event_id,
            channel=p.channel,
            ip=p.ip_address,
            location=p.location,
            logins=ok,
            failed=1 - ok,
        )


def record_fraud_alert(conn: Connection, event: FraudAlertRaised) -> bool:
    """One row per alert (its source key); a later status change updates it."""
    p = event.payload
    key = {"source_system": event.source_system, "alert_key": event.source_key}
    raised = conn.execute(
        select(fraud_alert.c.raised_at).where(
            fraud_alert.c.source_system == event.source_system, fraud_alert.c.alert_key == event.source_key
        )
    ).scalar_one_or_none()
    changed = _upsert_newest(
        conn,
        fraud_alert,
        key,
        {
            "customer_source_key": p.customer_source_key,
            "alert_type": p.alert_type,
            "severity": p.severity,
            "status": p.status,
            "score": p.score,
            "transaction_source_key": p.transaction_source_key,
            "raised_at": min(raised, event.occurred_at) if raised is not None else event.occurred_at,
        },
        event.occurred_at,
        event.event_id,
    )
    if not changed and raised is not None and event.occurred_at < raised:
        conn.execute(
            update(fraud_alert)
            .where(
                fraud_alert.c.source_system == event.source_system,
                fraud_alert.c.alert_key == event.source_key,
            )
            .values(raised_at=event.occurred_at)
        )
    return changed


def record_risk_score(conn: Connection, event: RiskScoreUpdated) -> bool:
    p = event.payload
    return _upsert_newest(
        conn,
        risk_signal,
        {
            "source_system": event.source_system,
            "customer_source_key": p.customer_source_key,
            "score_type": p.score_type,
        },
        {"score": p.score, "rating": p.rating, "model": p.model},
        event.occurred_at,
        event.event_id,
    )


def refresh_golden(
    conn: Connection, gcid: str, at: datetime | None = None, policy: SurvivorshipPolicy = DEFAULT_POLICY
) -> None:
    """Recompute the golden record (and its lookup keys) of ``gcid`` from its member source records.

    ``at`` is accepted for compatibility and ignored: the record's ``updated_at`` is the newest
    source change among its members, so a replay writes the same row.
    """
    rows = conn.execute(
        select(
            customer_source_record.c.source_system,
            customer_source_record.c.source_key,
            customer_source_record.c.payload,
            customer_source_record.c.deleted,
            customer_source_record.c.source_updated_at,
        )
        .join(
            identity_record,
            (identity_record.c.source_system == customer_source_record.c.source_system)
            & (identity_record.c.source_key == customer_source_record.c.source_key),
        )
        .where(identity_record.c.gcid == gcid)
    ).all()
    drop_golden(conn, gcid)
    if not rows:
        return
    sources = [
        SourceCustomer(
            r.source_system,
            r.source_key,
            r.source_updated_at,
            CustomerPayload.model_validate(r.payload),
            r.deleted,
        )
        for r in rows
    ]
    g = golden_record(gcid, sources, policy)
    assert g.as_of is not None  # at least one member
    conn.execute(
        insert(customer_360).values(
            gcid=gcid,
            customer_type=g.customer_type,
            full_name=g.full_name,
            first_name=g.first_name,
            middle_name=g.middle_name,
            last_name=g.last_name,
            gender=g.gender,
            date_of_birth=g.date_of_birth,
            national_id=g.national_id,
            national_ids=list(g.national_ids),
            kra_pin=g.kra_pin,
            phones=list(g.phones),
            emails=list(g.emails),
            address=g.address,
            addresses=list(g.addresses),
            kyc_tier=g.kyc_tier,
            kyc_status=g.kyc_status,
            segment=g.segment,
            pep=g.pep,
            sanctioned=g.sanctioned,
            attribute_sources=g.attribute_sources,
            source_records=list(g.source_records),
            policy_version=g.policy_version,
            updated_at=g.as_of,
        )
    )
    keys = {("national_id", v) for v in g.national_ids}
    keys |= {("phone", v) for v in g.phones} | {("email", v) for v in g.emails}
    keys |= {("source_key", r.source_key) for r in rows}
    conn.execute(
        insert(customer_360_key),
        [{"key_type": t, "key_value": v[:256], "gcid": gcid} for t, v in sorted(keys)],
    )


def drop_golden(conn: Connection, gcid: str) -> None:
    """A merged GCID has no golden record of its own: reads follow the alias to the survivor."""
    conn.execute(delete(customer_360).where(customer_360.c.gcid == gcid))
    conn.execute(delete(customer_360_key).where(customer_360_key.c.gcid == gcid))

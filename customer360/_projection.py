"""Writes of the Customer 360 projection, inside the caller's transaction.

Every write is idempotent and order-safe: a row carries the source time of the change it holds,
and an older change never overwrites a newer one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from customer360._survivorship import DEFAULT_POLICY, SourceCustomer, SurvivorshipPolicy, golden_record
from pipelines.events import AccountChanged, CustomerChanged, CustomerPayload, TransactionPosted
from pipelines.standardise import to_minor_units
from pipelines.storage.schema import (
    account_360,
    customer_360,
    customer_source_record,
    identity_record,
    transaction_360,
)

__all__ = ["drop_golden", "refresh_golden", "upsert_account", "upsert_source_customer", "upsert_transaction"]


def upsert_source_customer(conn: Connection, event: CustomerChanged) -> bool:
    """Keep the newest version of one source customer record; ``False`` when the event is stale."""
    key = (customer_source_record.c.source_system == event.source_system) & (
        customer_source_record.c.source_key == event.source_key
    )
    values = {
        "payload": event.payload.model_dump(mode="json"),
        "deleted": event.payload.deleted,
        "source_updated_at": event.occurred_at,
        "last_event_id": event.event_id,
    }
    existing = conn.execute(select(customer_source_record.c.source_updated_at).where(key)).first()
    if existing is None:
        conn.execute(
            insert(customer_source_record).values(
                source_system=event.source_system, source_key=event.source_key, **values
            )
        )
        return True
    if existing.source_updated_at > event.occurred_at:
        return False
    conn.execute(update(customer_source_record).where(key).values(**values))
    return True


def refresh_golden(
    conn: Connection, gcid: str, at: datetime, policy: SurvivorshipPolicy = DEFAULT_POLICY
) -> None:
    """Recompute the golden record of ``gcid`` from its member source records."""
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
    conn.execute(delete(customer_360).where(customer_360.c.gcid == gcid))
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
    conn.execute(
        insert(customer_360).values(
            gcid=gcid,
            customer_type=g.customer_type,
            full_name=g.full_name,
            date_of_birth=g.date_of_birth,
            national_id=g.national_id,
            phones=list(g.phones),
            emails=list(g.emails),
            address=g.address,
            kyc_tier=g.kyc_tier,
            kyc_status=g.kyc_status,
            segment=g.segment,
            pep=g.pep,
            sanctioned=g.sanctioned,
            attribute_sources=g.attribute_sources,
            source_records=list(g.source_records),
            updated_at=at,
        )
    )


def drop_golden(conn: Connection, gcid: str) -> None:
    """A merged GCID has no golden record of its own: reads follow the alias to the survivor."""
    conn.execute(delete(customer_360).where(customer_360.c.gcid == gcid))


def upsert_account(conn: Connection, event: AccountChanged) -> bool:
    p = event.payload
    key = (account_360.c.source_system == event.source_system) & (
        account_360.c.account_key == event.source_key
    )
    values = {
        "customer_source_key": p.customer_source_key,
        "account_number_masked": p.account_number_masked,
        "account_type": p.account_type,
        "currency": p.currency,
        "status": "closed" if p.deleted else p.status,
        "balance": p.balance,
        "available_balance": p.available_balance,
        "opened_on": p.opened_on,
        "source_updated_at": event.occurred_at,
        "last_event_id": event.event_id,
    }
    existing = conn.execute(select(account_360.c.source_updated_at).where(key)).first()
    if existing is None:
        conn.execute(
            insert(account_360).values(
                source_system=event.source_system, account_key=event.source_key, **values
            )
        )
        return True
    if existing.source_updated_at > event.occurred_at:
        return False
    conn.execute(update(account_360).where(key).values(**values))
    return True


def upsert_transaction(conn: Connection, event: TransactionPosted) -> bool:
    """Insert a transaction once (a status change of the same transaction updates it)."""
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
        "device_id": p.device_id,
        "location": p.location,
        "occurred_at": event.occurred_at,
    }
    existing = conn.execute(select(transaction_360.c.event_id).where(key)).first()
    if existing is None:
        conn.execute(
            insert(transaction_360).values(
                source_system=event.source_system, transaction_key=event.source_key, **values
            )
        )
        return True
    if existing.event_id == event.event_id:
        return False
    conn.execute(update(transaction_360).where(key).values(**values))
    return True

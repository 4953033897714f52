"""Reads of the Customer 360 (API side)."""

from __future__ import annotations

from sqlalchemy import Connection, select, tuple_

from customer360._views import AccountView, CustomerView, TransactionView
from identity.errors import UnknownGcid
from pipelines.standardise import from_minor_units
from pipelines.storage.schema import account_360, customer_360, identity_record, transaction_360
from pipelines.storage.schema import gcid as gcid_t

__all__ = ["get_accounts", "get_customer", "get_recent_transactions", "member_refs", "survivor_of"]


def survivor_of(conn: Connection, gcid: str) -> str:
    row = conn.execute(select(gcid_t.c.merged_into).where(gcid_t.c.gcid == gcid)).first()
    if row is None:
        raise UnknownGcid(f"no customer with GCID {gcid}")
    return row.merged_into or gcid


def member_refs(conn: Connection, gcid: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        select(identity_record.c.source_system, identity_record.c.source_key).where(
            identity_record.c.gcid == gcid
        )
    ).all()
    return sorted((r.source_system, r.source_key) for r in rows)


def get_accounts(conn: Connection, gcid: str) -> list[AccountView]:
    refs = member_refs(conn, gcid)
    if not refs:
        return []
    rows = conn.execute(
        select(account_360)
        .where(tuple_(account_360.c.source_system, account_360.c.customer_source_key).in_(refs))
        .order_by(account_360.c.source_system, account_360.c.account_key)
    ).all()
    return [
        AccountView(
            source_system=r.source_system,
            account_key=r.account_key,
            account_number_masked=r.account_number_masked,
            account_type=r.account_type,
            currency=r.currency,
            status=r.status,
            balance=r.balance,
            available_balance=r.available_balance,
            opened_on=r.opened_on,
            updated_at=r.source_updated_at,
        )
        for r in rows
    ]


def get_recent_transactions(conn: Connection, gcid: str, limit: int = 50) -> list[TransactionView]:
    refs = member_refs(conn, gcid)
    if not refs:
        return []
    rows = conn.execute(
        select(transaction_360)
        .where(tuple_(transaction_360.c.source_system, transaction_360.c.customer_source_key).in_(refs))
        .order_by(transaction_360.c.occurred_at.desc(), transaction_360.c.transaction_key)
        .limit(limit)
    ).all()
    return [
        TransactionView(
            source_system=r.source_system,
            transaction_key=r.transaction_key,
            account_key=r.account_key,
            amount=from_minor_units(r.amount_minor, r.currency),
            amount_minor=r.amount_minor,
            currency=r.currency,
            direction=r.direction,
            txn_type=r.txn_type,
            channel=r.channel,
            status=r.status,
            counterparty=r.counterparty,
            device_id=r.device_id,
            location=r.location,
            occurred_at=r.occurred_at,
        )
        for r in rows
    ]


def get_customer(conn: Connection, gcid: str) -> CustomerView:
    """The golden record with its accounts; a merged GCID answers with its survivor."""
    survivor = survivor_of(conn, gcid)
    row = conn.execute(select(customer_360).where(customer_360.c.gcid == survivor)).first()
    if row is None:
        raise UnknownGcid(f"GCID {gcid} has no customer record yet")
    return CustomerView(
        gcid=survivor,
        merged_from=gcid if survivor != gcid else None,
        customer_type=row.customer_type,
        full_name=row.full_name,
        date_of_birth=row.date_of_birth,
        national_id=row.national_id,
        phones=list(row.phones),
        emails=list(row.emails),
        address=row.address,
        kyc_tier=row.kyc_tier,
        kyc_status=row.kyc_status,
        segment=row.segment,
        pep=row.pep,
        sanctioned=row.sanctioned,
        attribute_sources=row.attribute_sources,
        source_records=list(row.source_records),
        accounts=get_accounts(conn, survivor),
        updated_at=row.updated_at,
    )

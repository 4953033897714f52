"""Reads of the Customer 360 (API side). Every read of a GCID follows a merge to its survivor."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Connection, and_, func, or_, select, tuple_

from customer360._risk_store import member_refs
from customer360._views import (
    AccountSummary,
    AccountView,
    ChannelActivityView,
    CurrencyBalance,
    CustomerMatch,
    CustomerView,
    DeviceView,
    RiskComponent,
    RiskView,
    TransactionPage,
    TransactionView,
)
from identity.errors import UnknownGcid
from kernel.events import MINOR_UNITS
from kernel.standardise import from_minor_units
from kernel.storage.schema import (
    account_360,
    channel_activity,
    customer_360,
    customer_360_key,
    device,
    identity_record,
    risk_profile,
    transaction_360,
)
from kernel.storage.schema import gcid as gcid_t

__all__ = [
    "LookupKey",
    "TransactionQuery",
    "account_summary",
    "decode_cursor",
    "find_customers",
    "get_accounts",
    "get_channel_activity",
    "get_customer",
    "get_devices",
    "get_recent_transactions",
    "get_risk",
    "get_transactions",
    "member_refs",
    "risk_of",
    "survivor_of",
]

LookupKey = Literal["national_id", "phone", "email", "source_key"]


def survivor_of(conn: Connection, gcid: str) -> str:
    row = conn.execute(select(gcid_t.c.merged_into).where(gcid_t.c.gcid == gcid)).first()
    if row is None:
        raise UnknownGcid(f"no customer with GCID {gcid}")
    survivor: str = row.merged_into or gcid
    for _ in range(16):  # a chain of merges (a survivor merged later) resolves to its end
        if survivor == gcid:
            break
        nxt = conn.execute(select(gcid_t.c.merged_into).where(gcid_t.c.gcid == survivor)).scalar()
        if not nxt:
            break
        survivor = nxt
    return survivor


def _refs_clause(table: Any, refs: list[tuple[str, str]]) -> Any:
    return tuple_(table.c.source_system, table.c.customer_source_key).in_(refs)


def _account_of(m: Mapping[Any, Any]) -> AccountView:
    return AccountView(
        source_system=m["source_system"],
        account_key=m["account_key"],
        account_number_masked=m["account_number_masked"],
        account_type=m["account_type"],
        currency=m["currency"],
        status=m["status"],
        balance=m["balance"],
        available_balance=m["available_balance"],
        opened_on=m["opened_on"],
        updated_at=m["source_updated_at"],
    )


def get_accounts(conn: Connection, gcid: str, refs: list[tuple[str, str]] | None = None) -> list[AccountView]:
    refs = member_refs(conn, gcid) if refs is None else refs
    if not refs:
        return []
    rows = conn.execute(
        select(account_360)
        .where(_refs_clause(account_360, refs))
        .order_by(account_360.c.source_system, account_360.c.account_key)
    ).all()
    return [_account_of(r._mapping) for r in rows]


def _in_minor_units(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(10) ** -MINOR_UNITS.get(currency, 2))


def account_summary(accounts: list[AccountView]) -> AccountSummary:
    balances: dict[str, tuple[Decimal, Decimal]] = {}
    for a in accounts:
        if a.status == "closed":
            continue
        bal, avail = balances.get(a.currency, (Decimal(0), Decimal(0)))
        balances[a.currency] = (bal + (a.balance or 0), avail + (a.available_balance or a.balance or 0))
    return AccountSummary(
        count=len(accounts),
        by_status=dict(sorted(Counter(a.status for a in accounts).items())),
        by_source=dict(sorted(Counter(a.source_system for a in accounts).items())),
        balances=[
            CurrencyBalance(
                currency=c, balance=_in_minor_units(b, c), available_balance=_in_minor_units(v, c)
            )
            for c, (b, v) in sorted(balances.items())
        ],
        last_change_at=max((a.updated_at for a in accounts), default=None),
    )


def _transaction_of(m: Mapping[Any, Any]) -> TransactionView:
    return TransactionView(
        source_system=m["source_system"],
        transaction_key=m["transaction_key"],
        account_key=m["account_key"],
        amount=from_minor_units(m["amount_minor"], m["currency"]),
        amount_minor=m["amount_minor"],
        currency=m["currency"],
        direction=m["direction"],
        txn_type=m["txn_type"],
        channel=m["channel"],
        status=m["status"],
        counterparty=m["counterparty"],
        counterparty_type=m["counterparty_type"],
        device_id=m["device_id"],
        location=m["location"],
        card_last4=m["card_last4"],
        occurred_at=m["occurred_at"],
    )


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    """Filters of a transaction page; amounts in major units of ``currency`` (2 decimals if unset)."""

    since: datetime | None = None
    until: datetime | None = None
    txn_type: str | None = None
    channel: str | None = None
    account_key: str | None = None
    currency: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    cursor: str | None = None
    limit: int = 50


def _encode_cursor(r: TransactionView) -> str:
    raw = json.dumps([r.occurred_at.isoformat(), r.source_system, r.transaction_key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str, str]:
    """The position a cursor names; ``ValueError`` when the string is not a cursor we issued."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, system, key = json.loads(raw)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or not isinstance(system, str) or not isinstance(key, str):
            raise ValueError("bad cursor")
        return when, system, key
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("the cursor is not one this API returned") from exc


def _minor(amount: Decimal, currency: str | None) -> int:
    digits = MINOR_UNITS.get(currency or "", 2)
    return int((amount * (Decimal(10) ** digits)).to_integral_value())


def _transaction_filters(q: TransactionQuery) -> list[Any]:
    t = transaction_360.c
    where: list[Any] = []
    if q.since is not None:
        where.append(t.occurred_at >= q.since)
    if q.until is not None:
        where.append(t.occurred_at < q.until)
    if q.txn_type is not None:
        where.append(t.txn_type == q.txn_type)
    if q.channel is not None:
        where.append(t.channel == q.channel)
    if q.account_key is not None:
        where.append(t.account_key == q.account_key)
    if q.currency is not None:
        where.append(t.currency == q.currency)
    if q.min_amount is not None:
        where.append(t.amount_minor >= _minor(q.min_amount, q.currency))
    if q.max_amount is not None:
        where.append(t.amount_minor <= _minor(q.max_amount, q.currency))
    if q.cursor is not None:
        at, system, key = decode_cursor(q.cursor)
        where.append(
            or_(
                t.occurred_at < at,
                and_(
                    t.occurred_at == at,
                    or_(t.source_system < system, and_(t.source_system == system, t.transaction_key < key)),
                ),
            )
        )
    return where


def get_transactions(
    conn: Connection,
    gcid: str,
    q: TransactionQuery = TransactionQuery(),
    refs: list[tuple[str, str]] | None = None,
) -> TransactionPage:
    """Newest first, keyset-paginated on ``(occurred_at, source_system, transaction_key)``."""
    refs = member_refs(conn, gcid) if refs is None else refs
    if not refs:
        return TransactionPage(items=[], next_cursor=None)
    t = transaction_360.c
    where: list[Any] = [_refs_clause(transaction_360, refs), *_transaction_filters(q)]
    rows = conn.execute(
        select(transaction_360)
        .where(*where)
        .order_by(t.occurred_at.desc(), t.source_system.desc(), t.transaction_key.desc())
        .limit(q.limit + 1)
    ).all()
    items = [_transaction_of(r._mapping) for r in rows[: q.limit]]
    more = len(rows) > q.limit
    return TransactionPage(items=items, next_cursor=_encode_cursor(items[-1]) if more and items else None)


def get_recent_transactions(
    conn: Connection, gcid: str, limit: int = 50, refs: list[tuple[str, str]] | None = None
) -> list[TransactionView]:
    return get_transactions(conn, gcid, TransactionQuery(limit=limit), refs).items


def _customer_of(
    m: Mapping[Any, Any], survivor: str, merged_from: str | None, accounts: list[AccountView]
) -> CustomerView:
    return CustomerView(
        gcid=survivor,
        merged_from=merged_from,
        customer_type=m["customer_type"],
        full_name=m["full_name"],
        first_name=m["first_name"],
        middle_name=m["middle_name"],
        last_name=m["last_name"],
        gender=m["gender"],
        date_of_birth=m["date_of_birth"],
        national_id=m["national_id"],
        national_ids=list(m["national_ids"] or ([m["national_id"]] if m["national_id"] else [])),
        kra_pin=m["kra_pin"],
        phones=list(m["phones"]),
        emails=list(m["emails"]),
        address=m["address"],
        addresses=list(m["addresses"] or ([m["address"]] if m["address"] else [])),
        kyc_tier=m["kyc_tier"],
        kyc_status=m["kyc_status"],
        segment=m["segment"],
        pep=m["pep"],
        sanctioned=m["sanctioned"],
        attribute_sources=m["attribute_sources"],
        source_records=list(m["source_records"]),
        accounts=accounts,
        policy_version=m["policy_version"],
        updated_at=m["updated_at"],
    )


def get_customer(conn: Connection, gcid: str, refs: list[tuple[str, str]] | None = None) -> CustomerView:
    """The golden record with its accounts; a merged GCID answers with its survivor.

    ``refs``: the survivor's member records, when the caller already has them."""
    survivor = survivor_of(conn, gcid)
    row = conn.execute(select(customer_360).where(customer_360.c.gcid == survivor)).first()
    if row is None:
        raise UnknownGcid(f"GCID {gcid} has no customer record yet")
    merged_from = gcid if survivor != gcid else None
    return _customer_of(row._mapping, survivor, merged_from, get_accounts(conn, survivor, refs))


def risk_of(
    survivor: str,
    merged_from: str | None,
    m: Mapping[Any, Any] | None,
    pep: bool | None,
    sanctioned: bool | None,
) -> RiskView:
    """The risk view of a ``risk_profile`` row (``None``: no evidence yet)."""
    if m is None:
        return RiskView(
            gcid=survivor,
            merged_from=merged_from,
            score=None,
            level="unknown",
            components={},
            open_alerts=0,
            pep=pep,
            sanctioned=sanctioned,
            policy_version=None,
            as_of=None,
        )
    return RiskView(
        gcid=survivor,
        merged_from=merged_from,
        score=m["score"],
        level=m["level"],
        components={k: RiskComponent.model_validate(v) for k, v in m["components"].items()},
        open_alerts=m["open_alerts"],
        pep=pep,
        sanctioned=sanctioned,
        policy_version=m["policy_version"],
        as_of=m["as_of"],
    )


def get_risk(conn: Connection, gcid: str, survivor: str | None = None) -> RiskView:
    """``survivor``: the survivor of ``gcid`` when the caller already resolved it."""
    survivor = survivor or survivor_of(conn, gcid)
    flags = conn.execute(
        select(customer_360.c.pep, customer_360.c.sanctioned).where(customer_360.c.gcid == survivor)
    ).first()
    row = conn.execute(select(risk_profile).where(risk_profile.c.gcid == survivor)).first()
    pep, sanctioned = (flags.pep, flags.sanctioned) if flags is not None else (None, None)
    merged_from = gcid if survivor != gcid else None
    return risk_of(survivor, merged_from, row._mapping if row is not None else None, pep, sanctioned)


def get_devices(conn: Connection, gcid: str) -> list[DeviceView]:
    refs = member_refs(conn, gcid)
    if not refs:
        return []
    rows = conn.execute(
        select(device)
        .where(_refs_clause(device, refs))
        .order_by(device.c.last_seen.desc(), device.c.device_id)
    ).all()
    ids = sorted({r.device_id for r in rows})
    shared: dict[str, int] = {}
    if ids:
        users = conn.execute(
            select(device.c.device_id, func.count(func.distinct(identity_record.c.gcid)))
            .join(
                identity_record,
                (identity_record.c.source_system == device.c.source_system)
                & (identity_record.c.source_key == device.c.customer_source_key),
            )
            .where(device.c.device_id.in_(ids), identity_record.c.gcid != gcid)
            .group_by(device.c.device_id)
        ).all()
        shared = {u[0]: int(u[1]) for u in users}
    return [
        DeviceView(
            device_id=r.device_id,
            source_system=r.source_system,
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            last_channel=r.last_channel,
            last_ip=r.last_ip,
            last_location=r.last_location,
            logins=r.logins,
            failed_logins=r.failed_logins,
            transactions=r.transactions,
            shared_with_gcids=shared.get(r.device_id, 0),
        )
        for r in rows
    ]


def get_channel_activity(
    conn: Connection, gcid: str, refs: list[tuple[str, str]] | None = None
) -> list[ChannelActivityView]:
    """Logins, sessions and transactions per channel, summed over the GCID's records."""
    refs = member_refs(conn, gcid) if refs is None else refs
    if not refs:
        return []
    c = channel_activity.c
    rows = conn.execute(
        select(
            c.channel,
            func.sum(c.logins).label("logins"),
            func.sum(c.failed_logins).label("failed_logins"),
            func.sum(c.sessions).label("sessions"),
            func.sum(c.transactions).label("transactions"),
            func.min(c.first_seen).label("first_seen"),
            func.max(c.last_seen).label("last_seen"),
            func.max(c.last_login_at).label("last_login_at"),
        )
        .where(_refs_clause(channel_activity, refs))
        .group_by(c.channel)
        .order_by(c.channel)
    ).all()
    return [
        ChannelActivityView(
            channel=r.channel,
            logins=int(r.logins),
            failed_logins=int(r.failed_logins),
            sessions=int(r.sessions),
            transactions=int(r.transactions),
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            last_login_at=r.last_login_at,
        )
        for r in rows
    ]


def find_customers(conn: Connection, key_type: LookupKey, value: str, limit: int = 20) -> list[CustomerMatch]:
    """GCIDs whose golden record carries ``value`` (a shared phone finds every holder)."""
    rows = conn.execute(
        select(customer_360.c.gcid, customer_360.c.full_name, customer_360.c.source_records)
        .join(customer_360_key, customer_360_key.c.gcid == customer_360.c.gcid)
        .where(customer_360_key.c.key_type == key_type, customer_360_key.c.key_value == value)
        .order_by(customer_360.c.gcid)
        .limit(limit)
    ).all()
    return [
        CustomerMatch(
            gcid=r.gcid, full_name=r.full_name, matched_on=key_type, source_records=list(r.source_records)
        )
        for r in rows
    ]

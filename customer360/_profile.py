"""The Customer 360 profile and a transaction page, each read in ONE SQL round trip.

The profile (golden record, accounts, latest transactions, risk, channel activity) of a GCID used
to cost about eight indexed queries (survivor, members, then one per table); each is a network
round trip and a scheduling hop for PostgreSQL and the API. Here:

* the survivor of a merged GCID is followed inside the statement (a recursive CTE over
  ``gcid.merged_into``, at most 16 hops, like :func:`survivor_of`), and the member records are
  joined through ``identity_record`` instead of being fetched first;
* on PostgreSQL the whole profile is one statement whose columns are JSON documents
  (``row_to_json`` / ``json_agg``), parsed with decimals kept exact; other backends (SQLite, the
  embedded mode) compose the per-table reads of :mod:`customer360._queries`, with the same result
  (a test compares both on PostgreSQL);
* a transaction page is one statement on every backend (the filters of :class:`TransactionQuery`
  applied to the join), with the survivor as a column of each row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, ScalarSelect, and_, bindparam, func, literal, select, text

from customer360._queries import (
    TransactionQuery,
    _account_of,
    _customer_of,
    _encode_cursor,
    _transaction_filters,
    _transaction_of,
    get_channel_activity,
    get_customer,
    get_recent_transactions,
    get_risk,
    member_refs,
    risk_of,
    survivor_of,
)
from customer360._views import ChannelActivityView, CustomerView, RiskView, TransactionPage, TransactionView
from identity.errors import UnknownGcid
from kernel.storage.schema import gcid as gcid_t
from kernel.storage.schema import identity_record, transaction_360

__all__ = ["Profile", "get_profile", "get_profile_composed", "get_transaction_page"]

MAX_HOPS = 16


@dataclass(frozen=True, slots=True)
class Profile:
    customer: CustomerView
    risk: RiskView
    channels: list[ChannelActivityView]
    recent_transactions: list[TransactionView]


def _survivor_expr() -> ScalarSelect[Any]:
    g = gcid_t.c
    start = (
        select(g.gcid.label("gcid"), g.merged_into.label("merged_into"), literal(0).label("depth"))
        .where(g.gcid == bindparam("survivor_of_gcid"))
        .cte("merge_chain", recursive=True)
    )
    chain = start.union_all(
        select(g.gcid, g.merged_into, start.c.depth + 1)
        .join(start, g.gcid == start.c.merged_into)
        .where(start.c.depth < MAX_HOPS)
    )
    return (
        select(func.coalesce(chain.c.merged_into, chain.c.gcid))
        .order_by(chain.c.depth.desc())
        .limit(1)
        .scalar_subquery()
    )


#: A scalar subquery: the survivor of the GCID bound to ``survivor_of_gcid`` (itself when never
#: merged; NULL when unknown). Built once: statements are cached by SQLAlchemy and prepared by
#: psycopg, so a read builds only its filters.
SURVIVOR = _survivor_expr()


def get_transaction_page(conn: Connection, gcid: str, q: TransactionQuery) -> tuple[str, TransactionPage]:
    """The survivor of ``gcid`` and a page of its transactions (newest first, keyset cursor), in
    one statement; :class:`UnknownGcid` when the GCID does not exist."""
    t = transaction_360.c
    ir = identity_record.c
    survivor = SURVIVOR
    rows = conn.execute(
        select(transaction_360, survivor.label("survivor_gcid"))
        .join(
            identity_record,
            and_(ir.source_system == t.source_system, ir.source_key == t.customer_source_key),
        )
        .where(ir.gcid == survivor, *_transaction_filters(q))
        .order_by(t.occurred_at.desc(), t.source_system.desc(), t.transaction_key.desc())
        .limit(q.limit + 1),
        {"survivor_of_gcid": gcid},
    ).all()
    if not rows:  # no transaction (or an unknown GCID): one more query tells which
        return survivor_of(conn, gcid), TransactionPage(items=[], next_cursor=None)
    items = [_transaction_of(r._mapping) for r in rows[: q.limit]]
    more = len(rows) > q.limit
    page = TransactionPage(items=items, next_cursor=_encode_cursor(items[-1]) if more else None)
    return str(rows[0].survivor_gcid), page


def get_profile_composed(conn: Connection, gcid: str, transactions: int = 20) -> Profile:
    """The profile from the per-table reads (any backend; several round trips)."""
    survivor = survivor_of(conn, gcid)
    refs = member_refs(conn, survivor)
    return Profile(
        customer=get_customer(conn, gcid, refs),
        risk=get_risk(conn, gcid, survivor),
        channels=get_channel_activity(conn, survivor, refs),
        recent_transactions=get_recent_transactions(conn, survivor, limit=transactions, refs=refs),
    )


_PROFILE_SQL = text(f"""
WITH RECURSIVE merge_chain (gcid, merged_into, depth) AS (
    SELECT gcid, merged_into, 0 FROM gcid WHERE gcid = :gcid
    UNION ALL
    SELECT g.gcid, g.merged_into, c.depth + 1
    FROM gcid g JOIN merge_chain c ON g.gcid = c.merged_into
    WHERE c.depth < {MAX_HOPS}
),
s AS (SELECT COALESCE(merged_into, gcid) AS survivor FROM merge_chain ORDER BY depth DESC LIMIT 1),
refs AS (
    SELECT source_system, source_key FROM identity_record WHERE gcid = (SELECT survivor FROM s)
)
SELECT
    (SELECT survivor FROM s) AS survivor,
    (SELECT row_to_json(c)::text FROM customer_360 c WHERE c.gcid = (SELECT survivor FROM s))
        AS customer,
    (SELECT json_agg(a ORDER BY a.source_system, a.account_key)::text
     FROM account_360 a
     JOIN refs r ON a.source_system = r.source_system AND a.customer_source_key = r.source_key)
        AS accounts,
    (SELECT json_agg(t ORDER BY t.occurred_at DESC, t.source_system DESC, t.transaction_key DESC)::text
     FROM (SELECT t.* FROM transaction_360 t
           JOIN refs r ON t.source_system = r.source_system AND t.customer_source_key = r.source_key
           ORDER BY t.occurred_at DESC, t.source_system DESC, t.transaction_key DESC
           LIMIT :transactions) t)
        AS transactions,
    (SELECT row_to_json(p)::text FROM risk_profile p WHERE p.gcid = (SELECT survivor FROM s)) AS risk,
    (SELECT json_agg(x ORDER BY x.channel)::text
     FROM (SELECT ch.channel, sum(ch.logins) AS logins, sum(ch.failed_logins) AS failed_logins,
                  sum(ch.sessions) AS sessions, sum(ch.transactions) AS transactions,
                  min(ch.first_seen) AS first_seen, max(ch.last_seen) AS last_seen,
                  max(ch.last_login_at) AS last_login_at
           FROM channel_activity ch
           JOIN refs r ON ch.source_system = r.source_system AND ch.customer_source_key = r.source_key
           GROUP BY ch.channel) x)
        AS channels
""")


def _doc(value: str | None) -> Any:
    return json.loads(value, parse_float=Decimal) if value is not None else None


def _utc_session(conn: Connection) -> None:
    """JSON renders timestamps in the session's time zone: make it UTC (once per connection; the
    server's setting is known locally, so this costs no round trip when it already is)."""
    raw = conn.connection.driver_connection
    info = getattr(raw, "info", None)
    if info is None or info.parameter_status("TimeZone") not in ("UTC", "Etc/UTC"):
        conn.exec_driver_sql("SET TIME ZONE 'UTC'")


def get_profile(conn: Connection, gcid: str, transactions: int = 20) -> Profile:
    """Golden record with accounts, risk, channel activity and the latest ``transactions``; a
    merged GCID answers with its survivor. One round trip on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        return get_profile_composed(conn, gcid, transactions)
    _utc_session(conn)
    row = conn.execute(_PROFILE_SQL, {"gcid": gcid, "transactions": transactions}).one()
    if row.survivor is None:
        raise UnknownGcid(f"no customer with GCID {gcid}")
    survivor = str(row.survivor)
    customer = _doc(row.customer)
    if customer is None:
        raise UnknownGcid(f"GCID {gcid} has no customer record yet")
    accounts = [_account_of(a) for a in _doc(row.accounts) or ()]
    merged_from = gcid if survivor != gcid else None
    return Profile(
        customer=_customer_of(customer, survivor, merged_from, accounts),
        risk=risk_of(survivor, merged_from, _doc(row.risk), customer["pep"], customer["sanctioned"]),
        channels=[_channel_of(c) for c in _doc(row.channels) or ()],
        recent_transactions=[_transaction_of(t) for t in _doc(row.transactions) or ()],
    )


def _channel_of(m: Mapping[Any, Any]) -> ChannelActivityView:
    return ChannelActivityView(
        channel=m["channel"],
        logins=int(m["logins"]),
        failed_logins=int(m["failed_logins"]),
        sessions=int(m["sessions"]),
        transactions=int(m["transactions"]),
        first_seen=m["first_seen"],
        last_seen=m["last_seen"],
        last_login_at=m["last_login_at"],
    )

"""The one-round-trip reads on PostgreSQL answer exactly what the per-table reads answer."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from customer360 import (
    TransactionQuery,
    get_profile,
    get_profile_composed,
    get_transaction_page,
    get_transactions,
    survivor_of,
)
from identity.errors import UnknownGcid
from kernel.events import BrainEvent
from pipelines.processors import Customer360Handler
from tests.factories import account, customer, hours
from tests.unit.customer360.c360_world import assign, assigned, fraud, login, merge, merged, risk, txn

pytestmark = pytest.mark.integration

G1, G2, G3, G4 = "GC00000000000000A1", "GC00000000000000B2", "GC00000000000000C3", "GC00000000000000D4"


@pytest.fixture
def world(pg_engine):
    assign(pg_engine, G1, ("v5", "C1"))
    assign(pg_engine, G2, ("dfs", "9"))
    assign(pg_engine, G3, ("v5", "C3"))
    assign(pg_engine, G4, ("v5", "C4"))  # resolved, but its customer event has not arrived
    t0 = customer().occurred_at
    events: list[BrainEvent] = [
        customer("v5", "C1", segment="retail", address="Kilimani Rd 4", city="Nairobi"),
        customer("dfs", "9", national_id=None, phones=("+254700000009",)),
        customer("v5", "C3", national_id="30000003", phones=("+254700000003",)),
        account("v5", "A1", "C1", balance="250.00"),
        account("dfs", "W9", "9", balance="40.50"),
        account("v5", "A4", "C4", balance="1.00"),
        *[
            txn(f"T{i:02d}", at=t0 + hours(i), amount=f"{100 * i}.25", counterparty="+254711000111")
            for i in range(1, 30)
        ],
        txn("TS", at=t0 + hours(5), amount="7.00", txn_type="fee"),  # same time as T05: key breaks the tie
        txn("TC", "9", system="dfs", at=t0 + hours(9), channel="card", txn_type="bill", account="W9"),
        login("L1"),
        login("L2", success=False),
        fraud("F1", severity="critical"),
        risk(score_type="aml", rating="high"),
        assigned(G1, "v5", "C1"),
        assigned(G2, "dfs", "9"),
        assigned(G3, "v5", "C3"),
        assigned(G4, "v5", "C4"),
    ]
    handler = Customer360Handler(pg_engine, batched=True)
    for e in events:
        handler.handle(e)
    handler.flush()
    merge(pg_engine, G1, G2)
    handler.handle(merged(G1, G2))
    handler.flush()
    return pg_engine, t0


@pytest.mark.parametrize("gcid", [G1, G2, G3])
def test_the_one_statement_profile_equals_the_composed_reads(world, gcid):
    engine, _ = world
    with engine.connect() as conn:
        fast = get_profile(conn, gcid, transactions=20)
        slow = get_profile_composed(conn, gcid, transactions=20)
    assert fast == slow
    for a, b in ((fast.customer, slow.customer), (fast.risk, slow.risk)):
        assert a.model_dump_json() == b.model_dump_json()
    assert [t.model_dump_json() for t in fast.recent_transactions] == [
        t.model_dump_json() for t in slow.recent_transactions
    ]
    assert [c.model_dump_json() for c in fast.channels] == [c.model_dump_json() for c in slow.channels]
    if gcid == G2:
        assert fast.customer.gcid == G1 and fast.customer.merged_from == G2


def test_the_profile_is_not_empty_where_it_matters(world):
    engine, _ = world
    with engine.connect() as conn:
        profile = get_profile(conn, G1)
    assert len(profile.recent_transactions) == 20
    assert {a.account_key for a in profile.customer.accounts} == {"A1", "W9"}
    assert [a.balance for a in profile.customer.accounts] == [Decimal("40.5000"), Decimal("250.0000")]
    assert profile.risk.score is not None and profile.risk.components
    assert profile.channels


def test_unknown_and_not_yet_known_gcids_raise(world):
    engine, _ = world
    with engine.connect() as conn:
        for gcid in ("GC_NOT_THERE", G4):
            with pytest.raises(UnknownGcid):
                get_profile(conn, gcid)
            with pytest.raises(UnknownGcid):
                get_profile_composed(conn, gcid)
        with pytest.raises(UnknownGcid):
            get_transaction_page(conn, "GC_NOT_THERE", TransactionQuery())
        survivor, empty = get_transaction_page(conn, G3, TransactionQuery())
        assert (survivor, empty.items, empty.next_cursor) == (G3, [], None)


@pytest.mark.parametrize(
    "query",
    [
        TransactionQuery(limit=7),
        TransactionQuery(limit=50),
        TransactionQuery(limit=5, txn_type="payment", min_amount=Decimal("500"), max_amount=Decimal("2000")),
        TransactionQuery(limit=3, channel="card"),
        TransactionQuery(limit=4, account_key="A1", currency="KES"),
    ],
)
def test_the_one_statement_page_equals_the_per_table_page_through_every_cursor(world, query):
    engine, t0 = world
    if query.channel is not None:
        query = replace(query, since=t0 - timedelta(days=1), until=t0 + timedelta(days=30))
    with engine.connect() as conn:
        for gcid in (G1, G2):
            survivor = survivor_of(conn, gcid)
            q, pages = query, 0
            while True:
                got_survivor, fast = get_transaction_page(conn, gcid, q)
                slow = get_transactions(conn, survivor, q)
                assert got_survivor == survivor
                assert fast == slow
                assert fast.model_dump_json() == slow.model_dump_json()
                pages += 1
                if fast.next_cursor is None:
                    break
                q = replace(q, cursor=fast.next_cursor)
            assert pages >= 1

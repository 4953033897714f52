import random
from decimal import Decimal

import pytest
from sqlalchemy import select

from customer360 import (
    TransactionQuery,
    find_customers,
    get_accounts,
    get_channel_activity,
    get_customer,
    get_devices,
    get_risk,
    get_transactions,
    projection_snapshot,
)
from kernel.errors import InvalidEvent
from kernel.events import topic_of
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import customer_360, processed_event
from kernel.transport import InProcessBus
from pipelines.processors import Customer360Handler
from pipelines.processors.customer360 import BatchAborted
from pipelines.processors.customer360_rebuild import recompute_customer360, replay_customer360
from tests.factories import account, customer, hours
from tests.unit.customer360.c360_world import (
    assign,
    assigned,
    fraud,
    login,
    merge,
    merged,
    risk,
    split,
    split_event,
    txn,
)

pytestmark = pytest.mark.unit

G1, G2 = "GC00000000000000A1", "GC00000000000000B2"


@pytest.fixture
def engine():
    e = create_db_engine("sqlite://")
    migrate(e)
    yield e
    e.dispose()


def apply(engine, events, batched=True):
    handler = Customer360Handler(engine, batched=batched)
    for e in events:
        handler.handle(e)
    handler.flush()


def stream():
    """Every input topic for two source customers of one person, with versions and late changes."""
    return [
        customer("v5", "C1", position="1", segment="retail"),
        customer("v5", "C1", at=customer().occurred_at + hours(2), position="2", segment="premier"),
        customer("dfs", "9", national_id=None, phones=("+254700000009",), segment="agency"),
        account("v5", "A1", "C1", position="1", balance="100.00"),
        account("v5", "A1", "C1", at=customer().occurred_at + hours(3), position="2", balance="250.00"),
        account("dfs", "W9", "9", balance="40.00"),
        txn("T1", device_id="dev-1"),
        txn("T1", position="2", at=customer().occurred_at + hours(1), status="reversed", device_id="dev-1"),
        txn("T2", at=customer().occurred_at + hours(4), channel="card", amount="99.50"),
        txn("T3", "9", system="dfs", at=customer().occurred_at + hours(5), device_id="dev-9"),
        login("L1"),
        login("L2", success=False, at=customer().occurred_at + hours(1)),
        login("L3", channel="ussd", device_id=None, at=customer().occurred_at + hours(6)),
        fraud("F1"),
        fraud("F1", position="2", status="false_positive", at=customer().occurred_at + hours(1)),
        fraud("F2", "9", system="dfs", severity="medium"),
        risk(score_type="aml", rating="high"),
        risk(score_type="aml", rating="low", at=customer().occurred_at + hours(1), position="2"),
        risk(score_type="credit", score=700),
        assigned(G1, "v5", "C1"),
        assigned(G1, "dfs", "9"),
    ]


def test_the_golden_record_accounts_transactions_risk_devices_and_channels(engine):
    assign(engine, G1, ("v5", "C1"), ("dfs", "9"))
    apply(engine, stream())
    with engine.connect() as conn:
        view = get_customer(conn, G1)
        assert view.segment == "premier"  # v5 newest version
        assert view.phones == ["+254712345678", "+254700000009"]  # v5 first
        assert view.attribute_sources["segment"].source == "v5:C1"
        assert view.updated_at == customer().occurred_at + hours(2)
        [w9, a1] = get_accounts(conn, G1)  # by source system, then key
        assert (a1.account_key, a1.balance, w9.account_key) == ("A1", Decimal("250.00"), "W9")
        page = get_transactions(conn, G1)
        assert [t.transaction_key for t in page.items] == ["T3", "T2", "T1"]
        assert page.items[2].status == "reversed" and page.items[2].occurred_at == customer().occurred_at
        r = get_risk(conn, G1)
        assert set(r.components) == {"fraud", "aml", "credit", "behaviour"}
        assert r.components["aml"].value == 10  # the newer 'low' rating wins
        assert r.open_alerts == 1  # F1 became a false positive, F2 (dfs record) is open
        devices = {d.device_id: d for d in get_devices(conn, G1)}
        assert devices["dev-1"].logins == 1 and devices["dev-1"].failed_logins == 1
        assert devices["dev-1"].transactions == 1 and devices["dev-9"].transactions == 1
        channels = {c.channel: c for c in get_channel_activity(conn, G1)}
        assert channels["mobile"].logins == 1 and channels["mobile"].sessions == 1
        assert channels["ussd"].logins == 1 and channels["mpesa"].transactions == 2
        assert [m.gcid for m in find_customers(conn, "phone", "+254700000009")] == [G1]
        assert [m.gcid for m in find_customers(conn, "source_key", "9")] == [G1]


def test_same_events_twice_change_nothing(engine):
    assign(engine, G1, ("v5", "C1"), ("dfs", "9"))
    apply(engine, stream())
    with engine.connect() as conn:
        once = projection_snapshot(conn)
    apply(engine, stream())
    apply(engine, stream(), batched=False)
    with engine.connect() as conn:
        assert projection_snapshot(conn) == once


@pytest.mark.parametrize("seed", range(6))
def test_any_order_gives_the_same_tables(engine, seed):
    assign(engine, G1, ("v5", "C1"), ("dfs", "9"))
    apply(engine, stream())
    with engine.connect() as conn:
        expected = projection_snapshot(conn)
    other = create_db_engine("sqlite://")
    migrate(other)
    assign(other, G1, ("v5", "C1"), ("dfs", "9"))
    events = stream()
    random.Random(seed).shuffle(events)
    for i in range(0, len(events), 4):  # several batches, each committed
        chunk = events[i : i + 4]
        apply(other, chunk)
    with other.connect() as conn:
        assert projection_snapshot(conn) == expected
    other.dispose()


def test_a_merge_moves_everything_under_the_survivor_and_a_split_moves_it_back(engine):
    assign(engine, G1, ("v5", "C1"))
    assign(engine, G2, ("dfs", "9"))
    apply(engine, [*stream()[:-2], assigned(G1, "v5", "C1"), assigned(G2, "dfs", "9")])
    with engine.connect() as conn:
        assert [a.account_key for a in get_accounts(conn, G1)] == ["A1"]
        assert get_risk(conn, G2).open_alerts == 1

    merge(engine, G1, G2)
    apply(engine, [merged(G1, G2)])
    with engine.connect() as conn:
        assert [a.account_key for a in get_accounts(conn, G1)] == ["W9", "A1"]
        assert {d.device_id for d in get_devices(conn, G1)} == {"dev-1", "dev-9"}
        via_alias = get_customer(conn, G2)
        assert (via_alias.gcid, via_alias.merged_from) == (G1, G2)
        assert sorted(via_alias.source_records) == ["dfs:9", "v5:C1"]
        assert conn.execute(select(customer_360.c.gcid)).scalars().all() == [G1]
        assert get_risk(conn, G1).open_alerts == 1 and get_risk(conn, G2).gcid == G1
        assert [m.gcid for m in find_customers(conn, "source_key", "9")] == [G1]

    split(engine, G1, G2, ("dfs", "9"))
    apply(engine, [split_event(G1, G2, ("dfs", "9"))])
    with engine.connect() as conn:
        assert [a.account_key for a in get_accounts(conn, G1)] == ["A1"]
        assert [a.account_key for a in get_accounts(conn, G2)] == ["W9"]
        assert [t.transaction_key for t in get_transactions(conn, G2).items] == ["T3"]
        assert get_customer(conn, G2).merged_from is None
        assert get_risk(conn, G1).open_alerts == 0 and get_risk(conn, G2).open_alerts == 1
        assert [m.gcid for m in find_customers(conn, "source_key", "9")] == [G2]


def test_a_record_resolved_after_its_activity_is_linked_when_assigned(engine):
    apply(engine, stream()[:-2])  # nothing resolved yet: rows wait under their source records
    with engine.connect() as conn:
        assert conn.execute(select(customer_360)).first() is None
    assign(engine, G1, ("v5", "C1"), ("dfs", "9"))
    apply(engine, stream()[-2:])
    with engine.connect() as conn:
        assert len(get_transactions(conn, G1).items) == 3
        assert get_risk(conn, G1).level != "unknown"


def test_a_failing_event_rolls_the_whole_batch_back(engine, monkeypatch):
    handler = Customer360Handler(engine, batched=True)

    def broken(*_args):
        raise InvalidEvent("bad")

    monkeypatch.setattr(handler, "_apply", broken)
    handler.handle(txn("T1"))
    handler.handle(txn("T9"))
    with pytest.raises(BatchAborted):  # a 5xx: the runner rewinds, it never dead-letters the batch
        handler.flush()
    with engine.connect() as conn:
        assert conn.execute(select(processed_event.c.event_id)).scalars().all() == []
    monkeypatch.undo()
    handler.handle(txn("T1"))  # the redelivered batch
    handler.handle(txn("T9"))
    handler.flush()
    with engine.connect() as conn:
        assert len(conn.execute(select(processed_event.c.event_id)).scalars().all()) == 2


def test_transaction_pages_filters_and_cursor(engine):
    assign(engine, G1, ("v5", "C1"))
    events = [
        txn(f"T{i:02d}", at=customer().occurred_at + hours(i), amount=f"{100 * i}.00") for i in range(1, 13)
    ]
    events.append(
        txn("TX", at=customer().occurred_at + hours(3), channel="card", txn_type="bill", account="A2")
    )
    apply(engine, [*events, assigned(G1, "v5", "C1")])
    with engine.connect() as conn:
        seen, cursor = [], None
        while True:
            page = get_transactions(conn, G1, TransactionQuery(limit=5, cursor=cursor))
            seen += [t.transaction_key for t in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert len(seen) == 13 and len(set(seen)) == 13 and seen[0] == "T12"
        q = TransactionQuery(min_amount=Decimal("300"), max_amount=Decimal("500"), channel="mpesa")
        assert [t.transaction_key for t in get_transactions(conn, G1, q).items] == ["T05", "T04", "T03"]
        q = TransactionQuery(since=customer().occurred_at + hours(11))
        assert [t.transaction_key for t in get_transactions(conn, G1, q).items] == ["T12", "T11"]
        assert [
            t.transaction_key for t in get_transactions(conn, G1, TransactionQuery(account_key="A2")).items
        ] == ["TX"]
        assert [
            t.transaction_key for t in get_transactions(conn, G1, TransactionQuery(txn_type="bill")).items
        ] == ["TX"]


def test_replay_into_empty_tables_equals_the_live_projection(engine):
    """The rebuild path: a fresh group from the beginning of the log, through the same handler."""
    assign(engine, G1, ("v5", "C1"), ("dfs", "9"))
    bus = InProcessBus()
    publisher = bus.publisher()
    for e in stream():
        publisher.publish(topic_of(e).value, e.model_dump_json().encode())
    apply(engine, stream())
    with engine.connect() as conn:
        live = projection_snapshot(conn)
    consumer = bus.consumer("replay-1", Customer360Handler.topics)
    report = replay_customer360(
        engine,
        consumer,
        publisher,
        lambda: all(bus.committed("replay-1", t) == bus.end_offset(t) for t in Customer360Handler.topics),
    )
    assert report.events == len(stream())
    with engine.connect() as conn:
        assert projection_snapshot(conn) == live
    recompute_customer360(engine)  # embedded rebuild: derived rows from the stored ones
    with engine.connect() as conn:
        assert projection_snapshot(conn) == live

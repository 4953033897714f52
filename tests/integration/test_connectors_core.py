"""v1-Core ``WekezaCoreDB`` through PostgreSQL logical decoding, in both schema shapes.

The SQL-seed/full-DDL shape and the EF-migration shape are created from the simulator's DDL; the
connector introspects each at start. Rows inserted, updated and deleted → canonical events on
Kafka; ``CustomerId`` pointing at "Customers" or "Parties"; a corrupt row → DLQ and the connector
goes on; a kill between publishing and committing → the restart re-sends the same ids, no gap.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from pipelines.connectors import ConnectorStore
from pipelines.simulator._ddl_core import V1_EF_DDL, V1_SQL_DDL
from tests.integration.connectors_pg import CrashingStore, close, connector, consume, of, source_db

# Creating a logical slot waits for every transaction running in the cluster (other suites' bulk
# loads on a shared machine); the work itself takes a few seconds.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def test_sql_shape_rows_reach_kafka_and_a_corrupt_row_is_dead_lettered(
    pg_engine, topic_prefix, publisher, tmp_path
):
    with source_db(V1_SQL_DDL) as dsn:
        name = f"v1sql{uuid.uuid4().hex[:6]}"
        c = connector("v1_core", dsn, pg_engine, publisher, name, tmp_path)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                cid, uid, aid, card = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
                conn.execute(
                    'INSERT INTO "Users" ("Id","Username","Email","FullName","Role","PhoneNumber") VALUES '
                    "(%s,'wanjiru','W.Kamau@Example.com','wanjiru KAMAU','Customer','+254712345678'),"
                    "(%s,'teller1','teller@wekeza.co.ke','Teller One','Teller',NULL)",
                    (uid, uuid.uuid4()),
                )
                conn.execute(
                    'INSERT INTO "Customers" ("Id","FirstName","LastName","Email","PhoneNumber",'
                    '"IdentificationNumber","UserId") VALUES (%s,%s,%s,%s,%s,%s,%s)',
                    (cid, "Wanjiru", "Kamau", "w.kamau@example.com", "+254712345678", "ID23456789", uid),
                )
                conn.execute(
                    'INSERT INTO "Accounts" ("Id","AccountNumber","CustomerId","Balance","AvailableBalance",'
                    '"BranchCode") VALUES (%s,%s,%s,100.00,100.00,%s)',
                    (aid, "ACC0000000001", cid, "NBO001"),
                )
                conn.execute(
                    'INSERT INTO "Transactions" ("Id","TransactionReference","AccountId","TransactionType",'
                    '"Amount","Status") VALUES (%s,%s,%s,%s,%s,%s)',
                    (uuid.uuid4(), "TXN-20260102-0001", aid, "Deposit", 100, "Success"),
                )
                conn.execute(
                    'INSERT INTO "Cards" ("Id","CardNumber","AccountId") VALUES (%s,%s,%s)',
                    (card, "4111111111111111", aid),
                )
                conn.execute('UPDATE "Accounts" SET "Balance" = 250.50 WHERE "Id" = %s', (aid,))
                conn.execute('UPDATE "Users" SET "LastLoginAt" = now() WHERE "Id" = %s', (uid,))
                conn.execute('DELETE FROM "Cards" WHERE "Id" = %s', (card,))
                bad = uuid.uuid4()  # an unparseable phone: the row cannot be mapped
                conn.execute(
                    'INSERT INTO "Customers" ("Id","FirstName","LastName","PhoneNumber") VALUES (%s,%s,%s,%s)',  # noqa: E501
                    (bad, "Otieno", "Ochieng", "call me maybe"),
                )
                conn.execute(
                    'INSERT INTO "Customers" ("Id","FirstName","LastName","PhoneNumber") VALUES (%s,%s,%s,%s)',  # noqa: E501
                    (uuid.uuid4(), "Akinyi", "Otieno", "0722000111"),
                )
            assert c.drain() == 11
            topics = ["customer.events", "account.events", "transaction.events", "login.events"]
            got = consume(topic_prefix, [*topics, "customer.events.dlq"], 11)
        finally:
            close(c)
    customers = of(got, "customer.events")
    assert {e["source_key"] for e in customers} >= {str(cid), f"user:{uid}"}
    assert all(e["source_key"] != str(bad) for e in customers)
    assert len(customers) == 4  # the customer user twice (not the teller), two customers
    cust = next(e for e in customers if e["source_key"] == str(cid))["payload"]
    assert (cust["national_id"], cust["phones"], cust["emails"]) == (
        "23456789",
        ["+254712345678"],
        ["w.kamau@example.com"],
    )
    user = next(e for e in customers if e["source_key"] == f"user:{uid}")["payload"]
    assert user["emails"] == ["w.kamau@example.com"]  # the link to the customer is the email
    accounts = of(got, "account.events", "Accounts")
    assert [a["payload"]["balance"] for a in accounts] == ["100.00", "250.50"]
    assert accounts[0]["payload"]["customer_source_key"] == str(cid)
    cards = of(got, "account.events", "Cards")
    assert [x["payload"].get("deleted", False) for x in cards] == [False, True]
    assert cards[0]["payload"]["account_number_masked"].endswith("1111")
    assert cards[0]["payload"]["customer_source_key"] == str(cid)  # via the card's account
    assert "4111111111111111" not in json.dumps(got)
    (txn,) = of(got, "transaction.events")
    assert (txn["payload"]["customer_source_key"], txn["payload"]["txn_type"]) == (str(cid), "deposit")
    (login,) = of(got, "login.events")
    assert login["payload"]["customer_source_key"] == f"user:{uid}" and login["payload"]["success"]
    (dead,) = of(got, "customer.events.dlq")
    assert dead["source_key"] == str(bad) and "phones" in dead["error"]
    assert dead["raw"]["PhoneNumber"] == "call me maybe"
    state = ConnectorStore(pg_engine).states()[0]
    assert (state.mode, state.errors) == ("pg_logical", 1)
    raw = ConnectorStore(pg_engine).raw(name, "Cards", f"card:{card}")
    assert raw and all(r.raw["CardNumber"] == "<card ****1111>" for r in raw)


def test_ef_shape_resolves_customer_ids_to_customers_and_parties_and_survives_a_kill(
    pg_engine, topic_prefix, publisher, tmp_path
):
    with source_db(V1_EF_DDL) as dsn:
        name = f"v1ef{uuid.uuid4().hex[:6]}"
        first = connector("v1_core", dsn, pg_engine, publisher, name, tmp_path, CrashingStore(pg_engine))
        party, cust, a_party, a_cust = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        ids = json.dumps([{"DocumentType": "National ID", "DocumentNumber": "KE-ID-31234567"}])
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                'INSERT INTO "Parties" ("Id","PartyNumber","FirstName","LastName","Gender","PrimaryPhone",'
                '"PrimaryEmail","Identifications","KYCStatus") VALUES (%s,%s,%s,%s,1,%s,%s,%s,2)',
                (party, "CIF20260117001", "Akinyi", "Otieno", "254722000111", "akinyi@example.com", ids),
            )
            conn.execute(
                'INSERT INTO "Customers" ("Id","FirstName","LastName","Email","PhoneNumber","IdentificationNumber")'  # noqa: E501
                " VALUES (%s,'Brian','Mwangi','brian@example.com','0733000222','29876543')",
                (cust,),
            )
            conn.execute(
                'INSERT INTO "Accounts" ("Id","AccountNumber","CustomerId","Balance_Amount","Status") VALUES '
                "(%s,'SAV202601000001',%s,10.00,1),(%s,'WKZ-0000ABCD',%s,20.00,1)",
                (a_party, party, a_cust, cust),
            )
        with pytest.raises(KeyboardInterrupt):
            first.step()  # published, then killed before the position was committed
        close(first, drop=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                'INSERT INTO "Transactions" ("Id","CorrelationId","AccountId","Amount_Amount","Type") '
                "VALUES (%s,%s,%s,75.00,1)",
                (uuid.uuid4(), uuid.uuid4(), a_party),
            )
            conn.execute(
                'INSERT INTO "Loans" ("Id","LoanNumber","CustomerId","Principal_Amount","CreditScore","RiskGrade")'  # noqa: E501
                " VALUES (%s,'LN-1',%s,50000,612,'C')",
                (uuid.uuid4(), party),
            )
            conn.execute('UPDATE "Accounts" SET "Status" = 3 WHERE "Id" = %s', (a_cust,))
            conn.execute('DELETE FROM "Accounts" WHERE "Id" = %s', (a_cust,))
        restarted = connector("v1_core", dsn, pg_engine, publisher, name, tmp_path)
        try:
            assert restarted.drain() == 8
            assert restarted.drain() == 0  # committed: nothing re-read
            topics = ["customer.events", "account.events", "transaction.events", "risk.events"]
            got = consume(topic_prefix, topics, 12)
        finally:
            close(restarted)
    ids_ = [e["event_id"] for _, e in got]
    assert len(ids_) == 12 and len(set(ids_)) == 8  # 4 sent before the kill, re-sent with the same ids
    customers = {e["source_key"]: e["payload"] for e in of(got, "customer.events")}
    assert customers[str(party)]["national_id"] == "31234567"
    assert customers[str(party)]["phones"] == ["+254722000111"]
    assert customers[str(party)]["kyc_status"] == "verified" and customers[str(party)]["gender"] == "F"
    assert customers[str(cust)]["national_id"] == "29876543"
    accounts = of(got, "account.events")
    owner = {a["source_key"]: a["payload"]["customer_source_key"] for a in accounts}
    assert owner == {str(a_party): str(party), str(a_cust): str(cust)}  # Parties and Customers ids
    last = [a["payload"] for a in accounts if a["source_key"] == str(a_cust)][-2:]
    assert (last[0]["status"], last[1]["deleted"]) == ("frozen", True)
    (txn,) = {e["event_id"]: e for e in of(got, "transaction.events")}.values()
    assert (txn["payload"]["customer_source_key"], txn["payload"]["amount"]) == (str(party), "75.00")
    assert txn["payload"]["txn_type"] == "withdrawal"
    (risk,) = of(got, "risk.events")
    assert risk["payload"] == {
        "customer_source_key": str(party),
        "score_type": "credit",
        "score": 612.0,
        "rating": "medium",
        "model": "v1_core.loans",
    }

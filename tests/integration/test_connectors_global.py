"""WekezaOpenBanking and WekezaGlobal through PostgreSQL logical decoding, on their real shapes.

Per system: rows inserted, updated and deleted → canonical events on Kafka; a corrupt row → DLQ
and the connector goes on. (Kill/restart of the same capture code: ``test_connectors_core``.)
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from pipelines.connectors import ConnectorStore
from pipelines.simulator._ddl_feeds import GLOBAL_DDL, OPENBANKING_DDL
from tests.integration.connectors_pg import close, connector, consume, of, source_db

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def test_openbanking_customers_accounts_transactions_payments(pg_engine, topic_prefix, publisher, tmp_path):
    with source_db(OPENBANKING_DDL) as dsn:
        c = connector("openbanking", dsn, pg_engine, publisher, f"ob{uuid.uuid4().hex[:6]}", tmp_path)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                cid = conn.execute(
                    "INSERT INTO customers (customer_number,first_name,last_name,email,phone,date_of_birth,"
                    "kyc_status) VALUES ('CUST001','njeri','WAMBUI','Njeri.W@Gmail.com','+254711222333',"
                    "'1991-04-05','verified') RETURNING id"
                ).fetchone()[0]  # type: ignore[index]
                aid = conn.execute(
                    "INSERT INTO accounts (account_number,customer_id,account_type,balance,available_balance)"
                    " VALUES ('OB-0001234567',%s,'current',5000,5000) RETURNING id",
                    (cid,),
                ).fetchone()[0]  # type: ignore[index]
                conn.execute(
                    "INSERT INTO transactions (transaction_ref,account_id,transaction_type,amount,balance_after)"  # noqa: E501
                    " VALUES ('TXN-1',%s,'debit',1200.50,3799.50)",
                    (aid,),
                )
                pid = conn.execute(
                    "INSERT INTO payments (payment_ref,source_account_id,destination_account_number,amount,"
                    "reference,risk_score) VALUES ('PAY-1',%s,'0123456789012',800,'rent',0.10) RETURNING id",
                    (aid,),
                ).fetchone()[0]  # type: ignore[index]
                conn.execute("UPDATE payments SET status = 'completed' WHERE id = %s", (pid,))
                conn.execute("UPDATE accounts SET status = 'frozen' WHERE id = %s", (aid,))
                conn.execute(
                    "INSERT INTO payments (payment_ref,source_account_id,destination_account_number,amount,"
                    "status) VALUES ('PAY-2',%s,'0123',10,'teleported')",
                    (aid,),
                )
                conn.execute("DELETE FROM payments WHERE payment_ref = 'PAY-2'")  # no event: a fact
                conn.execute(
                    "INSERT INTO customers (customer_number,first_name,last_name,email) "
                    "VALUES ('CUST002','Faith','Chebet','faith.c@x.co.ke')"
                )
                conn.execute("DELETE FROM customers WHERE customer_number = 'CUST002'")
            assert c.drain() == 10
            topics = ["customer.events", "account.events", "transaction.events", "transaction.events.dlq"]
            got = consume(topic_prefix, topics, 9)
        finally:
            close(c)
    (cust,) = [e for e in of(got, "customer.events") if e["source_key"] == str(cid)]
    created, deleted = [e for e in of(got, "customer.events") if e["source_key"] != str(cid)]
    assert created["source_key"] == deleted["source_key"] and deleted["payload"]["deleted"] is True
    assert cust["payload"]["emails"] == ["njeri.w@gmail.com"] and cust["payload"]["last_name"] == "Wambui"
    assert (cust["payload"]["kyc_status"], cust["payload"]["date_of_birth"]) == ("verified", "1991-04-05")
    accounts = of(got, "account.events")
    assert [a["payload"]["status"] for a in accounts] == ["active", "frozen"]
    assert accounts[0]["payload"]["customer_source_key"] == str(cid)
    txns = of(got, "transaction.events")
    assert [t["source_table"] for t in txns] == ["transactions", "payments", "payments"]
    assert txns[0]["payload"]["direction"] == "debit" and txns[0]["payload"]["channel"] == "api"
    assert [t["payload"]["status"] for t in txns[1:]] == ["pending", "posted"]
    assert txns[1]["payload"]["counterparty"] == "*********9012"
    assert all(t["payload"]["customer_source_key"] == str(cid) for t in txns)
    (dead,) = of(got, "transaction.events.dlq")
    assert dead["raw"]["status"] == "teleported" and dead["source_table"] == "payments"
    assert ConnectorStore(pg_engine).states()[0].errors == 1


def test_global_users_wallets_transactions_alerts_scores_and_kyc(
    pg_engine, topic_prefix, publisher, tmp_path
):
    with source_db(GLOBAL_DDL) as dsn:
        c = connector("global", dsn, pg_engine, publisher, f"wgi{uuid.uuid4().hex[:6]}", tmp_path)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                uid = conn.execute(
                    "INSERT INTO users (full_name,email,phone_number,kyc_status) VALUES "
                    "('Kevin Otieno','kevin.otieno@outlook.com','0710000001','pending') RETURNING user_id"
                ).fetchone()[0]  # type: ignore[index]
                conn.execute(
                    "INSERT INTO users (full_name,email,role) VALUES ('Ops Person','ops@wgi.io','operations')"
                )
                wid = conn.execute(
                    "INSERT INTO wallets (user_id,currency,balance) VALUES (%s,'USD',1500.2500) RETURNING wallet_id",  # noqa: E501
                    (uid,),
                ).fetchone()[0]  # type: ignore[index]
                tid = conn.execute(
                    "INSERT INTO transactions (wallet_id,type,amount,currency,status,metadata) VALUES "
                    "(%s,'withdrawal',60000,'USD','completed','{\"channel\": \"mpesa\", \"counterparty\": "
                    '"254711000000"}\') RETURNING transaction_id',
                    (wid,),
                ).fetchone()[0]  # type: ignore[index]
                conn.execute(
                    "INSERT INTO aml_alerts (transaction_id,type,severity) VALUES (%s,'LARGE_WITHDRAWAL','high')",  # noqa: E501
                    (tid,),
                )
                conn.execute("INSERT INTO credit_scores (user_id,score) VALUES (%s,640.50)", (uid,))
                conn.execute(
                    "INSERT INTO kyc_documents (user_id,doc_type,file_url,status,verified_at) VALUES "
                    "(%s,'passport','s3://kyc/1.pdf','verified',now())",
                    (uid,),
                )
                conn.execute("UPDATE users SET kyc_status = 'verified' WHERE user_id = %s", (uid,))
                conn.execute("UPDATE credit_scores SET score = 580 WHERE user_id = %s", (uid,))
                conn.execute(  # a currency WGI's wallet never had: cannot be mapped
                    "INSERT INTO transactions (wallet_id,type,amount,currency) VALUES (%s,'fx',1,'BTC')",
                    (wid,),
                )
                conn.execute("DELETE FROM kyc_documents WHERE user_id = %s", (uid,))
            assert c.drain() == 11
            topics = [
                "customer.events",
                "account.events",
                "transaction.events",
                "fraud.events",
                "risk.events",
            ]
            got = consume(topic_prefix, [*topics, "transaction.events.dlq"], 11)
        finally:
            close(c)
    assert len(got) == 11  # 10 events + 1 dead letter, nothing more
    customers = of(got, "customer.events")
    users = [e["payload"] for e in customers if e["source_table"] == "users"]
    assert [u["kyc_status"] for u in users] == ["pending", "verified"]  # not the operations user
    assert users[0]["phones"] == ["+254710000001"]
    kyc = [e for e in customers if e["source_table"] == "kyc_documents"]
    assert [k["payload"].get("deleted", False) for k in kyc] == [False, True]
    assert kyc[0]["payload"]["emails"] == ["kevin.otieno@outlook.com"]  # the owner's, looked up
    assert kyc[0]["payload"]["kyc_status"] == "verified" and kyc[0]["source_key"].startswith("kyc:")
    (wallet,) = of(got, "account.events")
    assert (wallet["payload"]["currency"], wallet["payload"]["balance"]) == ("USD", "1500.25")
    (txn,) = of(got, "transaction.events")
    assert (txn["payload"]["channel"], txn["payload"]["counterparty"]) == ("mpesa", "254711000000")
    assert txn["payload"]["customer_source_key"] == str(uid)
    (alert,) = of(got, "fraud.events")
    assert alert["payload"]["customer_source_key"] == str(uid)  # alert → transaction → wallet → user
    assert (alert["payload"]["severity"], alert["payload"]["status"]) == ("high", "open")
    risks = [e["payload"] for e in of(got, "risk.events")]
    assert sorted((r["score_type"], r["score"]) for r in risks) == [
        ("aml", 850.0),
        ("credit", 580.0),
        ("credit", 640.5),
    ]
    (dead,) = of(got, "transaction.events.dlq")
    assert dead["raw"]["currency"] == "BTC" and "currency" in dead["error"]
    assert ConnectorStore(pg_engine).states()[0].errors == 1

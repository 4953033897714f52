"""The security, risk and identity feeds through PostgreSQL logical decoding, on their shapes.

WekezaSecurityProtocol (Salama: schema ``salama_security``) → customer/login/fraud events;
WekezaBank analyst cases → fraud and risk events; identity-intelligence verification sessions and
documents → identity evidence on customer.events. Per system: inserts, updates and deletes reach
Kafka; a corrupt row goes to the DLQ and the connector goes on.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from pipelines.connectors import ConnectorStore
from pipelines.simulator._ddl_feeds import IDENTITY_INTEL_DDL, SALAMA_DDL, WEKEZABANK_DDL
from tests.integration.connectors_pg import close, connector, consume, of, source_db

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def test_salama_users_sessions_and_duress_alerts(pg_engine, topic_prefix, publisher, tmp_path):
    with source_db(SALAMA_DDL) as dsn:
        c = connector("salama", dsn, pg_engine, publisher, f"sal{uuid.uuid4().hex[:6]}", tmp_path)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("SET search_path = salama_security")
                uid = conn.execute(
                    "INSERT INTO users (account_id,account_name,pin_hash) VALUES "
                    "('254712345678','Grace Wanjiku','$2b$12$secret') RETURNING user_id"
                ).fetchone()[0]  # type: ignore[index]
                mail = conn.execute(
                    "INSERT INTO users (account_id,account_name) VALUES ('Peter.Kamau@Gmail.com','Peter Kamau') "  # noqa: E501
                    "RETURNING user_id"
                ).fetchone()[0]  # type: ignore[index]
                sid = conn.execute(
                    "INSERT INTO sessions (user_id,session_token,session_mode,shadow_trigger,device_id,ip_address,"  # noqa: E501
                    "user_agent) VALUES (%s,'tok-1','shadow','reversed_pin','dev-A1','41.90.1.2','ussd') "
                    "RETURNING session_id",
                    (uid,),
                ).fetchone()[0]  # type: ignore[index]
                conn.execute("UPDATE sessions SET last_activity = now() WHERE session_id = %s", (sid,))
                conn.execute(
                    "INSERT INTO security_alerts (user_id,session_id,alert_type,severity,device_id) "
                    "VALUES (%s,%s,'DURESS_MODE_ACTIVATED','CRITICAL','dev-A1')",
                    (uid, sid),
                )
                conn.execute(
                    "INSERT INTO duress_quarantine (session_id,user_id,mock_transaction_id,from_account_id,"
                    "to_account_id,amount) VALUES (%s,%s,'MOCK-1','254712345678','254799000000',45000)",
                    (sid, uid),
                )
                conn.execute(
                    "INSERT INTO security_alerts (user_id,alert_type,severity) VALUES (%s,'SUSPICIOUS_ACTIVITY','SEVERE')",  # noqa: E501
                    (uid,),
                )
                conn.execute(
                    "UPDATE security_alerts SET alert_status = 'Resolved' WHERE severity = 'CRITICAL'"
                )
                conn.execute("DELETE FROM users WHERE user_id = %s", (mail,))
            assert c.drain() == 9
            topics = ["customer.events", "login.events", "fraud.events", "fraud.events.dlq"]
            got = consume(topic_prefix, topics, 9)
        finally:
            close(c)
    customers = {
        (e["source_key"], e["payload"].get("deleted", False)): e["payload"]
        for e in of(got, "customer.events")
    }
    assert customers[(str(uid), False)]["phones"] == ["+254712345678"]
    assert customers[(str(uid), False)]["emails"] == []  # a phone account id is no email
    assert customers[(str(mail), False)]["emails"] == ["peter.kamau@gmail.com"]
    assert (str(mail), True) in customers
    logins = of(got, "login.events")
    assert len(logins) == 2 and len({e["event_id"] for e in logins}) == 1  # one session, one login
    p = logins[0]["payload"]
    assert (p["device_id"], p["ip_address"], p["channel"], p["session_id"]) == (
        "dev-A1",
        "41.90.1.2",
        "ussd",
        str(sid),
    )
    assert "shadow" not in json.dumps(logins)  # shadow mode never leaks
    alerts = [e["payload"] for e in of(got, "fraud.events")]
    assert [(a["alert_type"], a["status"]) for a in alerts] == [
        ("duress_mode_activated", "open"),
        ("duress_quarantined_transfer", "open"),
        ("duress_mode_activated", "closed"),
    ]
    assert all(a["customer_source_key"] == str(uid) for a in alerts)
    (dead,) = of(got, "fraud.events.dlq")
    assert dead["raw"]["severity"] == "SEVERE"
    assert "$2b$12$secret" not in json.dumps(ConnectorStore(pg_engine).raw(c.name, "users", str(uid))[0].raw)


def test_wekezabank_cases_become_fraud_alerts_and_risk_scores(pg_engine, topic_prefix, publisher, tmp_path):
    with source_db(WEKEZABANK_DDL) as dsn:
        c = connector("wekezabank", dsn, pg_engine, publisher, f"wb{uuid.uuid4().hex[:6]}", tmp_path)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO analyst_cases (transaction_id,customer_id,amount,risk_score,risk_level,"
                    "flagged_reason) VALUES ('TXN_004','CUST_22222',15000000,0.85,'HIGH','HIGH_AMOUNT'),"
                    "('TXN_005','CUST_33333',1000,NULL,'LOW',NULL)"
                )
                conn.execute("UPDATE analyst_cases SET status = 'CLOSED' WHERE transaction_id = 'TXN_004'")
                conn.execute(
                    "INSERT INTO analyst_cases (transaction_id,customer_id,risk_score,risk_level) "
                    "VALUES ('TXN_006','CUST_1',0.5,'EXTREME')"
                )
                conn.execute("DELETE FROM analyst_cases WHERE transaction_id = 'TXN_005'")  # no event
            assert c.drain() == 5
            got = consume(
                topic_prefix, ["fraud.events", "risk.events", "fraud.events.dlq", "risk.events.dlq"], 7
            )
        finally:
            close(c)
    alerts = [e["payload"] for e in of(got, "fraud.events")]
    # topics are partitioned by customer: the order holds per customer only
    assert sorted((a["customer_source_key"], a["severity"], a["status"]) for a in alerts) == [
        ("CUST_22222", "high", "closed"),
        ("CUST_22222", "high", "open"),
        ("CUST_33333", "low", "open"),
    ]
    assert [a["status"] for a in alerts if a["customer_source_key"] == "CUST_22222"] == ["open", "closed"]
    first = next(a for a in alerts if a["customer_source_key"] == "CUST_22222")
    assert first["score"] == 85.0 and first["transaction_source_key"] == "TXN_004"
    risks = [e["payload"] for e in of(got, "risk.events")]
    assert [(r["score_type"], r["score"], r["rating"]) for r in risks] == [("fraud", 85.0, "high")] * 2
    dead = of(got, "fraud.events.dlq") + of(got, "risk.events.dlq")
    assert len(dead) == 2 and {d["raw"]["risk_level"] for d in dead} == {"EXTREME"}


def test_identity_intel_sessions_and_documents_are_identity_evidence(
    pg_engine, topic_prefix, publisher, tmp_path
):
    with source_db(IDENTITY_INTEL_DDL) as dsn:
        c = connector("identity_intel", dsn, pg_engine, publisher, f"ii{uuid.uuid4().hex[:6]}", tmp_path)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                sid = conn.execute(
                    "INSERT INTO verification_sessions (customer_name,customer_email,customer_phone,id_type,"
                    "device_fingerprint,client_ip) VALUES ('mercy AWUOR','Mercy.Awuor@Yahoo.com','0791234567',"  # noqa: E501
                    "'national_id','fp-9f8e7d','41.80.2.3') RETURNING id"
                ).fetchone()[0]  # type: ignore[index]
                ocr = json.dumps(
                    {"id_number": "ID 27654321", "date_of_birth": "1988-07-14", "name": "MERCY AWUOR"}
                )
                conn.execute(
                    "INSERT INTO verification_documents (session_id,doc_type,ocr_data) VALUES "
                    "(%s,'id_front',%s),(%s,'selfie','{}'),(%s,'id_back','{\"id_number\": \"12\"}')",
                    (sid, ocr, sid, sid),
                )
                conn.execute(
                    "UPDATE verification_sessions SET status = 'verified', trust_score = 820 WHERE id = %s",
                    (sid,),
                )
                conn.execute(
                    "DELETE FROM verification_sessions WHERE id = %s", (sid,)
                )  # GDPR delete, cascades
            assert c.drain() == 9
            got = consume(topic_prefix, ["customer.events", "customer.events.dlq"], 7)
        finally:
            close(c)
    events = of(got, "customer.events")
    sessions = [e["payload"] for e in events if e["source_table"] == "verification_sessions"]
    assert [s.get("kyc_status") for s in sessions[:2]] == ["pending", "verified"] and sessions[2]["deleted"]
    assert sessions[0]["device_ids"] == ["fp-9f8e7d"] and sessions[0]["phones"] == ["+254791234567"]
    docs = [e for e in events if e["source_table"] == "verification_documents"]
    front = docs[0]
    assert front["source_key"].startswith("doc:")
    assert (front["payload"]["national_id"], front["payload"]["date_of_birth"]) == ("27654321", "1988-07-14")
    assert (
        front["payload"]["emails"] == ["mercy.awuor@yahoo.com"]
        and front["payload"]["full_name"] == "Mercy Awuor"
    )
    assert [d["payload"].get("deleted", False) for d in docs] == [False, True]  # the cascade deleted it
    dead = of(got, "customer.events.dlq")  # the unreadable id number, inserted then deleted
    assert len(dead) == 2 and all(
        d["raw"]["doc_type"] == "id_back" and "national_id" in d["error"] for d in dead
    )

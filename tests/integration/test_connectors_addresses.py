"""v5 "Addresses" through logical decoding: an address is a customer record of its own carrying
the customer's identifiers (looked up) — the insert, the cascade delete with its customer, and an
address whose customer's phone cannot be read (→ DLQ, the connector goes on)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from infra.local_services import KAFKA
from kernel.transport._kafka import KafkaEventPublisher
from pipelines.simulator._sources_ddl import V5_DDL
from tests.integration.connectors_pg import close, connector, consume, of, source_db

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def test_v5_addresses(pg_engine, topic_prefix, tmp_path):
    publisher = KafkaEventPublisher(KAFKA, "connector-tests", topic_prefix)
    with source_db(V5_DDL) as dsn:
        c = connector("v5", dsn, pg_engine, publisher, f"v5a{uuid.uuid4().hex[:6]}", tmp_path)
        try:
            cid, addr = uuid.uuid4(), uuid.uuid4()
            with psycopg.connect(dsn, autocommit=True) as conn:
                bad = uuid.uuid4()  # a customer whose phone cannot be read: its address neither
                conn.execute(
                    'INSERT INTO "Customers" ("Id","CustomerNumber","FirstName","LastName","PrimaryPhone")'
                    " VALUES (%s,'CUS-0000BAD0','Otieno','Ochieng','call me')",
                    (bad,),
                )
                conn.execute(
                    'INSERT INTO "Addresses" ("Id","CustomerId","AddressLine1","City") VALUES (%s,%s,%s,%s)',
                    (uuid.uuid4(), bad, "Nowhere Rd", "Nairobi"),
                )
                conn.execute(
                    'INSERT INTO "Customers" ("Id","CustomerNumber","FirstName","LastName","Email",'
                    '"IdentificationNumber","PrimaryPhone") VALUES (%s,%s,%s,%s,%s,%s,%s)',
                    (cid, "CUS-0000ABCD", "Moraa", "Kerubo", "moraa@example.com", "ID30123456", "0720111222"),
                )
                conn.execute(
                    'INSERT INTO "Addresses" ("Id","CustomerId","AddressLine1","City") VALUES (%s,%s,%s,%s)',
                    (addr, cid, "12 Moi Avenue", "Mombasa"),
                )
                conn.execute('DELETE FROM "Customers" WHERE "Id" = %s', (cid,))  # cascades to the address
            assert c.drain() == 6
            got = consume(topic_prefix, ["customer.events", "customer.events.dlq"], 6)
        finally:
            close(c)
            publisher.close()
    records = [e for e in of(got, "customer.events") if e["source_key"] == f"addr:{addr}"]
    assert [r["payload"].get("deleted", False) for r in records] == [False, True]
    p = records[0]["payload"]
    assert (p["address"], p["city"], p["national_id"]) == ("12 Moi Avenue", "Mombasa", "30123456")
    assert (p["first_name"], p["phones"], p["emails"]) == ("Moraa", ["+254720111222"], ["moraa@example.com"])
    dead = {d["source_table"]: d for d in of(got, "customer.events.dlq")}
    assert dead["Addresses"]["raw"]["AddressLine1"] == "Nowhere Rd" and "phones" in dead["Addresses"]["error"]
    assert dead["Customers"]["source_key"] == str(bad)

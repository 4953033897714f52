"""Mappings and the mapper: rows → canonical events, errors → RowError, PANs never in clear."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kernel.events import CustomerPayload, TransactionPayload, make_event_id
from pipelines.connectors import SYSTEMS, Change, Mapper, MappingError, RowError, load_mapping, load_mappings
from pipelines.connectors._mapping import Lookup, TableMapping
from pipelines.connectors._pg_cdc import lsn_int, parse_change

pytestmark = pytest.mark.unit

KEY = b"unit-test-card-key-0123456789ab"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def v5(table: str) -> TableMapping:
    return next(m for m in load_mappings("v5") if m.table == table)


def customer_row(**over: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "Id": "c1",
        "FirstName": "wanjiru",
        "MiddleName": None,
        "LastName": "KAMAU",
        "Email": "W.Kamau@Example.com",
        "IdentificationNumber": "KE-ID-23456789",
        "PrimaryPhone": "0712345678",
        "SecondaryPhone": "254712345678",
        "KYCStatus": "Verified",
        "Gender": "Female",
        "DateOfBirth": "1990-02-03 00:00:00",
        "AMLRiskRating": "Low",
        "CreatedAt": "2026-01-01 10:00:00",
        "UpdatedAt": None,
    }
    row.update(over)
    return row


@pytest.mark.parametrize("system", sorted({spec.mappings or name for name, spec in SYSTEMS.items()}))
def test_every_shipped_mapping_loads(system: str) -> None:
    assert load_mappings(system)


def test_customer_row_is_standardised_and_the_id_is_deterministic() -> None:
    event = Mapper(v5("Customers"), KEY).map(Change("Customers", "insert", customer_row(), "0/1A", AT))
    assert event is not None
    p = event.payload
    assert isinstance(p, CustomerPayload)
    assert (p.first_name, p.last_name, p.national_id, p.gender) == ("Wanjiru", "Kamau", "23456789", "F")
    assert p.phones == ("+254712345678",)  # two formats of one number → one
    assert p.emails == ("w.kamau@example.com",)
    assert event.occurred_at == AT  # commit time of the change
    assert event.event_id == make_event_id("v5", "Customers", "c1", "0/1A")
    assert event.position == "0/1A"


def test_every_bad_field_is_reported_at_once() -> None:
    row = customer_row(KYCStatus="Bogus", PrimaryPhone="12", Gender="?")
    with pytest.raises(RowError) as err:
        Mapper(v5("Customers"), KEY).map(Change("Customers", "update", row, "0/2", AT))
    assert all(name in err.value.detail for name in ("kyc_status", "phones", "gender"))


def test_missing_key_is_a_row_error() -> None:
    with pytest.raises(RowError, match="key column"):
        Mapper(v5("Customers"), KEY).map(Change("Customers", "insert", customer_row(Id=None), "0/3", AT))


def test_delete_of_state_tables_is_an_event_and_of_facts_is_none() -> None:
    deleted = Mapper(v5("Customers"), KEY).map(Change("Customers", "delete", customer_row(), "0/4", AT))
    assert deleted is not None and isinstance(deleted.payload, CustomerPayload) and deleted.payload.deleted
    txn: dict[str, str | None] = {
        "Id": "t1",
        "AccountId": "a1",
        "Type": "Deposit",
        "Amount": "10",
        "ProcessedAt": "2026-01-01",
    }
    assert Mapper(v5("Transactions"), KEY).map(Change("Transactions", "delete", txn, "0/5", AT)) is None


def test_card_number_becomes_last4_and_keyed_hash_and_is_scrubbed_from_raw(tmp_path: Path) -> None:
    path = tmp_path / "cards.yaml"
    path.write_text(
        "system: x\ntable: Pos\nkey: [Id]\nevent: transaction.posted\noccurred_at: [At]\nfields:\n"
        "  customer_source_key: {column: Cust}\n  card: {column: Pan, fn: card}\n  amount: {column: Amt, fn: amount}\n"  # noqa: E501
        "  currency: {const: KES}\n  direction: {const: debit}\n  txn_type: {const: payment}\n"
        "  channel: {const: card}\n"
    )
    mapper = Mapper(load_mapping(path), KEY)
    row = {
        "Id": "p1",
        "Cust": "c1",
        "Pan": "4111 1111 1111 1111",
        "Amt": "12.5",
        "At": "2026-01-01T00:00:00Z",
    }
    event = mapper.map(Change("Pos", "insert", row, "1", None))
    assert event is not None and isinstance(event.payload, TransactionPayload)
    assert (
        event.payload.card_last4 == "1111" and event.payload.card_hash and len(event.payload.card_hash) == 64
    )
    assert "4111" not in event.model_dump_json().replace('"card_last4":"1111"', "")
    assert mapper.scrub(row)["Pan"] == "<card ****1111>"
    other = Mapper(load_mapping(path), b"another-key-of-32-bytes-xxxxxxxx").map(
        Change("Pos", "insert", row, "1", None)
    )
    assert other is not None and isinstance(other.payload, TransactionPayload)
    assert other.payload.card_hash != event.payload.card_hash


def test_lookup_resolves_the_customer_through_another_table() -> None:
    seen: list[tuple[str, str, str, str]] = []

    def lookup(rule: Lookup, value: str) -> str:
        seen.append((rule.table, rule.key, rule.column, value))
        return "cust-9"

    txn: dict[str, str | None] = {"Id": "t1", "AccountId": "a1", "Type": "Withdrawal", "Amount": "-250.00"}
    txn |= {
        "Currency": "KES",
        "ProcessedAt": "2026-01-01 10:00:00",
        "ProcessedBy": "MPESA",
        "Status": "Completed",
    }
    event = Mapper(v5("Transactions"), KEY, lookup).map(Change("Transactions", "insert", txn, "0/9", AT))
    assert event is not None
    assert seen == [("Accounts", "Id", "CustomerId", "a1")]
    p = event.payload
    assert isinstance(p, TransactionPayload)
    assert (p.customer_source_key, str(p.amount), p.direction, p.channel) == (
        "cust-9",
        "250.00",
        "debit",
        "mpesa",
    )
    assert event.occurred_at == datetime(2026, 1, 1, 10, tzinfo=UTC)  # business time, source zone UTC


def test_invalid_mapping_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("system: X!\ntable: T\nkey: []\nevent: nope\nfields: {a: {column: c, const: 1}}\n")
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert "4 error(s)" in err.value.detail


def test_test_decoding_lines_are_parsed() -> None:
    line = (
        'table public."Customers": UPDATE: old-key: "Id"[uuid]:\'a\' new-tuple: "Id"[uuid]:\'a\' '
        "\"FirstName\"[character varying]:'O''Brien x' \"DateOfBirth\"[timestamp without time zone]:null "
        '"Score"[integer]:42'
    )
    assert parse_change(line) == (
        "public", "Customers", "update", {"Id": "a", "FirstName": "O'Brien x", "DateOfBirth": None, "Score": "42"}  # noqa: E501
    )  # fmt: skip
    assert parse_change("BEGIN") is None
    assert lsn_int("1/0") > lsn_int("0/FFFFFFFF")

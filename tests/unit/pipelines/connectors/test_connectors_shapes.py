"""Schema shapes: v1-Core mappings fitted to the SQL-seed/full-DDL shape and to the EF shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from kernel.events import AccountPayload, CustomerPayload, TransactionPayload
from pipelines.connectors import Change, Mapper, MappingError, load_mappings
from pipelines.connectors._mapper import json_get
from pipelines.connectors._mapping import TableMapping
from pipelines.connectors._shapes import adapt_mapping, adapt_mappings
from pipelines.simulator._ddl_core import V1_EF_DDL, V1_SQL_DDL

pytestmark = pytest.mark.unit

KEY = b"unit-test-card-key-0123456789ab"
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def columns_of(ddl: str) -> dict[str, set[str]]:
    """Table → columns of a DDL script (what information_schema reports for it)."""
    out: dict[str, set[str]] = {}
    for table, body in re.findall(r'CREATE TABLE "(\w+)" \((.*?)\n\);', ddl, re.S):
        out[table] = set(re.findall(r'^\s+"(\w+)"', body, re.M))
    return out


SQL = columns_of(V1_SQL_DDL)
EF = columns_of(V1_EF_DDL)


def adapted(shape: dict[str, set[str]]) -> dict[tuple[str, str | None], TableMapping]:
    maps, _ = adapt_mappings(load_mappings("v1_core"), shape)
    return {(m.table, m.variant): m for m in maps}


def test_the_ddl_parser_sees_both_shapes() -> None:
    assert "Balance" in SQL["Accounts"] and "Balance_Amount" in EF["Accounts"]
    assert "Parties" in EF and "Parties" not in SQL


def test_sql_shape_keeps_its_tables_and_skips_parties() -> None:
    maps = adapted(SQL)
    assert ("Parties", None) not in maps  # optional, absent
    assert ("Loans", None) not in maps  # full-DDL Loans has no CreditScore: nothing to map
    assert {("Customers", None), ("Accounts", None), ("Transactions", None), ("Cards", None)} <= set(maps)
    assert {("Users", None), ("Users", "login")} <= set(maps)
    assert maps[("Accounts", None)].fields["balance"].column == "Balance"


def test_ef_shape_reads_the_ef_column_names() -> None:
    maps = adapted(EF)
    acc, txn = maps[("Accounts", None)], maps[("Transactions", None)]
    assert acc.fields["balance"].column == "Balance_Amount"
    assert acc.fields["currency"].column == "Balance_Currency"
    assert "available_balance" not in acc.fields  # no such column in the EF shape: dropped
    assert txn.fields["amount"].column == "Amount_Amount"
    assert txn.fields["txn_type"].column == "Type"
    assert txn.occurred_at == ("Timestamp",)
    assert ("Parties", None) in maps and ("Loans", None) in maps
    assert ("Users", None) not in maps  # no Users table in the EF database


def test_an_ef_account_row_maps_with_its_int_status_and_amount_columns() -> None:
    m = adapted(EF)[("Accounts", None)]
    row = {
        "Id": "a1",
        "AccountNumber": "SAV202601000001",
        "CustomerId": "p1",
        "Balance_Amount": "1500.50",
        "Balance_Currency": "KES",
        "Status": "1",
        "CreatedAt": "2026-01-01 10:00:00+00",
    }
    event = Mapper(m, KEY).map(Change("Accounts", "insert", row, "0/1", AT))
    assert event is not None and isinstance(event.payload, AccountPayload)
    p = event.payload
    assert (p.customer_source_key, p.status, str(p.balance), p.account_type) == (
        "p1",
        "active",
        "1500.50",
        "savings",
    )


def test_the_same_transaction_maps_alike_in_both_shapes() -> None:
    sql_row = {"Id": "t1", "AccountId": "a1", "TransactionType": "Withdrawal", "Amount": "250.00",
               "Currency": "KES", "Status": "Completed", "CreatedAt": "2026-01-02 03:04:05"}  # fmt: skip
    ef_row = {"Id": "t1", "AccountId": "a1", "Type": "1", "Amount_Amount": "250.00", "Amount_Currency": "KES",
              "Timestamp": "2026-01-02 03:04:05+00", "CorrelationId": "c"}  # fmt: skip
    out = []
    for shape, row in ((SQL, sql_row), (EF, ef_row)):
        m = adapted(shape)[("Transactions", None)]
        event = Mapper(m, KEY, lambda _rule, _v: "cust-1").map(
            Change("Transactions", "insert", row, "0/2", AT)
        )
        assert event is not None and isinstance(event.payload, TransactionPayload)
        out.append((event.occurred_at, event.payload))
    assert out[0] == out[1]
    assert out[0][1].txn_type == "withdrawal" and out[0][1].status == "posted"


def test_party_national_id_comes_from_the_identifications_json() -> None:
    m = adapted(EF)[("Parties", None)]
    row = {
        "Id": "p1",
        "PartyNumber": "CIF20260117001",
        "PartyType": "0",
        "FirstName": "akinyi",
        "LastName": "OTIENO",
        "Gender": "1",
        "PrimaryPhone": "254712345678",
        "PrimaryEmail": "Akinyi@Example.com",
        "KYCStatus": "2",
        "IsPEP": "false",
        "IsSanctioned": "false",
        "Identifications": '[{"DocumentType": "Passport", "DocumentNumber": "A1234567"},'
        ' {"DocumentType": "National ID", "DocumentNumber": "KE-ID-23456789"}]',
    }
    event = Mapper(m, KEY).map(Change("Parties", "insert", row, "0/3", AT))
    assert event is not None and isinstance(event.payload, CustomerPayload)
    p = event.payload
    assert (p.national_id, p.gender, p.kyc_status, p.phones) == (
        "23456789",
        "F",
        "verified",
        ("+254712345678",),
    )


def test_staff_users_are_not_customers_and_a_login_is_one_event_per_login_time() -> None:
    maps = adapted(SQL)
    user = {"Id": "u1", "Username": "w", "Email": "w@x.com", "FullName": "Wanjiru Kamau", "Role": "Customer",
            "LastLoginAt": "2026-01-02 03:00:00", "PhoneNumber": "+254712345678"}  # fmt: skip
    login = Mapper(maps[("Users", "login")], KEY)
    first = login.map(Change("Users", "update", user, "0/4", AT))
    again = login.map(Change("Users", "update", {**user, "PhoneNumber": "0712345679"}, "0/5", AT))
    later = login.map(Change("Users", "update", {**user, "LastLoginAt": "2026-01-03 03:00:00"}, "0/6", AT))
    assert first is not None and again is not None and later is not None
    assert first.event_id == again.event_id != later.event_id
    assert first.source_key == "user:u1" and first.payload.customer_source_key == "user:u1"  # type: ignore[union-attr]
    staff = {**user, "Role": "Teller"}
    assert Mapper(maps[("Users", None)], KEY).map(Change("Users", "insert", staff, "0/7", AT)) is None
    assert login.map(Change("Users", "update", staff, "0/8", AT)) is None


def test_card_numbers_are_masked_in_events_and_scrubbed_in_staging() -> None:
    m = adapted(SQL)[("Cards", None)]
    row = {"Id": "k1", "CardNumber": "4111111111111111", "AccountId": "a1", "Status": "Blocked"}
    mapper = Mapper(m, KEY, lambda _rule, _v: "cust-1")
    event = mapper.map(Change("Cards", "update", row, "0/9", AT))
    assert event is not None and "4111111111111111" not in event.model_dump_json()
    assert event.payload.status == "frozen"  # type: ignore[union-attr]
    assert mapper.scrub(row)["CardNumber"] == "<card ****1111>"


def test_a_missing_required_column_or_table_is_a_clear_error() -> None:
    accounts = next(m for m in load_mappings("v1_core") if m.table == "Accounts")
    with pytest.raises(MappingError, match="CustomerId"):
        adapt_mapping(accounts, {"Id", "AccountNumber", "Balance"})
    with pytest.raises(MappingError, match="does not exist"):
        adapt_mapping(accounts, None)
    with pytest.raises(MappingError, match="no mapping fits"):
        adapt_mappings([m for m in load_mappings("v1_core") if m.optional], {})


@pytest.mark.parametrize(
    ("text", "path", "want"),
    [
        ('{"a": {"b": "x"}}', "a.b", "x"),
        ('[{"t": "National ID", "n": 1}]', "[t=national_id].n", "1"),
        ('{"a": [1, 2]}', "a[1]", "2"),
        ('{"a": [1, 2]}', "a[5]", None),
        ('{"a": {"b": [1]}}', "a", '{"b": [1]}'),
        ('{"a": null}', "a.b", None),
    ],
)
def test_json_paths(text: str, path: str, want: str | None) -> None:
    assert json_get(text, path) == want


def test_an_unadapted_mapping_reads_a_row_of_another_shape_through_its_aliases() -> None:
    """What the DLQ replay does: the shipped mapping, a raw row captured from the EF shape."""
    shipped = next(m for m in load_mappings("v1_core") if m.table == "Transactions")
    ef_row = {"Id": "t9", "AccountId": "a1", "Type": "2", "Amount_Amount": "99.50", "Amount_Currency": "KES",
              "Timestamp": "2026-01-02 03:04:05+00"}  # fmt: skip
    event = Mapper(shipped, KEY, lambda _rule, _v: "cust-1").map(
        Change("Transactions", "insert", ef_row, "0/A", AT)
    )
    assert event is not None and isinstance(event.payload, TransactionPayload)
    assert (event.payload.txn_type, str(event.payload.amount)) == ("transfer", "99.50")


def test_chained_lookups_scale_and_lenient_standardisers() -> None:
    aml = next(m for m in load_mappings("global") if m.table == "aml_alerts" and m.variant is None)
    hops: list[tuple[str, str]] = []

    def lookup(rule, value):  # alert → transaction → wallet → user
        hops.append((rule.table, value))
        return {"transactions": "w1", "wallets": "u1"}[rule.table]

    row = {"aml_alert_id": "a1", "transaction_id": "t1", "type": "LARGE_WITHDRAWAL", "severity": "high",
           "status": "pending", "created_at": "2026-01-02 03:04:05"}  # fmt: skip
    event = Mapper(aml, KEY, lookup).map(Change("aml_alerts", "insert", row, "0/B", AT))
    assert event is not None and event.payload.customer_source_key == "u1"  # type: ignore[union-attr]
    assert hops == [("transactions", "t1"), ("wallets", "w1")]
    case = next(m for m in load_mappings("wekezabank") if m.variant is None)
    row = {"case_id": "1", "transaction_id": "T", "customer_id": "C", "risk_score": "0.85",
           "risk_level": "HIGH", "status": "ASSIGNED"}  # fmt: skip
    event = Mapper(case, KEY).map(Change("analyst_cases", "insert", row, "0/C", AT))
    assert event is not None and event.payload.score == 85.0  # type: ignore[union-attr]
    users = next(m for m in load_mappings("salama") if m.table == "users")
    for account_id, phones, emails in (
        ("254712345678", ("+254712345678",), ()),
        ("Grace@Example.com", (), ("grace@example.com",)),
        ("ACC0012345", (), ()),  # an account number: neither, and not an error
    ):
        row = {"user_id": "u", "account_id": account_id, "account_name": "GRACE WANJIKU"}
        event = Mapper(users, KEY).map(Change("users", "insert", row, "0/D", AT))
        assert event is not None and isinstance(event.payload, CustomerPayload)
        assert (event.payload.phones, event.payload.emails) == (phones, emails)

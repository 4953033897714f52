import json
from datetime import datetime

import pytest

from kernel.errors import InvalidEvent
from kernel.events import (
    INPUT_TOPICS,
    Topic,
    dlq_topic,
    json_schemas,
    make_event_id,
    parse_event,
    topic_of,
)
from tests.factories import T0, customer, transaction

pytestmark = pytest.mark.unit


def test_event_id_is_deterministic_and_distinct_per_change():
    a = make_event_id("v5", "customers", "C1", "lsn:10")
    assert a == make_event_id("v5", "customers", "C1", "lsn:10")
    assert a != make_event_id("v5", "customers", "C1", "lsn:11")
    assert a != make_event_id("dfs", "customers", "C1", "lsn:10")


@pytest.mark.parametrize("event", [customer(), transaction()])
def test_round_trip_through_the_wire(event):
    topic = topic_of(event)
    assert parse_event(topic.value, event.model_dump_json()) == event


def test_events_are_frozen():
    event = customer()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen assignment
        event.source_key = "other"  # type: ignore[misc]


def test_amount_travels_as_decimal_string():
    wire = json.loads(transaction(amount="1500.50").model_dump_json())
    assert wire["payload"]["amount"] == "1500.50"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(occurred_at="2026-11-20T09:00:00"), "timezone"),
        (lambda d: d["payload"].update(amount="10.123"), "more precision than KES"),
        (lambda d: d["payload"].update(currency="kes"), "currency"),
        (lambda d: d["payload"].update(channel="pigeon"), "channel"),
        (lambda d: d.update(unexpected=1), "unexpected"),
        (lambda d: d["payload"].pop("amount"), "amount"),
    ],
)
def test_invalid_transactions_are_rejected_with_a_clear_reason(mutate, expected):
    data = json.loads(transaction().model_dump_json())
    mutate(data)
    with pytest.raises(InvalidEvent) as info:
        parse_event(Topic.TRANSACTION.value, json.dumps(data))
    assert expected in str(info.value)


def test_every_error_is_reported_at_once():
    data = json.loads(customer().model_dump_json())
    data["payload"]["phones"] = ["0712345678"]
    data["payload"]["emails"] = ["Not-Lower@X.com"]
    with pytest.raises(InvalidEvent) as info:
        parse_event(Topic.CUSTOMER.value, json.dumps(data))
    assert "2 error(s)" in str(info.value)


def test_garbage_bytes_and_unknown_topics_are_invalid_events():
    with pytest.raises(InvalidEvent):
        parse_event(Topic.CUSTOMER.value, b"\xff not json")
    with pytest.raises(InvalidEvent, match="unknown topic"):
        parse_event("nope.events", b"{}")


def test_customer_needs_a_name_unless_deleted():
    with pytest.raises(ValueError, match="name"):
        customer(first_name=None, last_name=None)  # type: ignore[arg-type]


def test_json_schemas_cover_every_topic():
    schemas = json_schemas()
    assert set(schemas) == {t.value for t in Topic}
    assert "payload" in json.dumps(schemas[Topic.TRANSACTION.value])


def test_input_topics_and_dlq_names():
    assert [t.value for t in INPUT_TOPICS] == [
        "customer.events",
        "account.events",
        "transaction.events",
        "login.events",
        "fraud.events",
        "risk.events",
    ]
    assert dlq_topic("customer.events") == "customer.events.dlq"


def test_timestamps_are_normalised_to_utc():
    event = customer(at=datetime.fromisoformat("2026-11-20T12:00:00+03:00"))
    assert event.occurred_at == T0

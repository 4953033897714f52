"""A bad record reaches its DLQ once, whichever consumer group rejects it first; replays know
what they re-sent."""

import pytest

from kernel.events import Topic
from kernel.storage import create_db_engine, migrate
from kernel.storage.schema import dead_letter as dead_letter_t
from kernel.transport import InProcessBus
from pipelines.dlq import DeadLetters, ReplayLedger
from pipelines.processors import ProcessorRunner
from tests.factories import customer

pytestmark = pytest.mark.unit


class Named:
    topics = (Topic.CUSTOMER.value,)

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[str] = []

    def handle(self, event):
        self.seen.append(event.source_key)

    def flush(self):
        return None


@pytest.fixture
def engine():
    engine = create_db_engine("sqlite://")
    migrate(engine)
    yield engine
    engine.dispose()


def test_three_groups_reject_a_bad_record_and_it_is_dead_lettered_once(engine):
    bus = InProcessBus()
    for body in (customer(key="C1").model_dump_json().encode(), b'{"event_id": "broken"'):
        bus.publisher().publish(Topic.CUSTOMER.value, body)
    ledger = DeadLetters(engine)
    handlers = [Named(n) for n in ("identity", "customer360", "features")]
    for h in handlers:
        runner = ProcessorRunner(
            h, bus.consumer(h.name, h.topics), bus.publisher(), poll_timeout_ms=0, dead_letters=ledger
        )
        assert runner.run_once() == 2
    assert [h.seen for h in handlers] == [["C1"]] * 3
    [dead] = bus.records("customer.events.dlq")
    assert dict(dead.headers)["processor"] == b"identity"
    with engine.connect() as conn:
        [row] = conn.execute(dead_letter_t.select()).all()
    assert (row.source_offset, row.processors) == (1, ["identity", "customer360", "features"])
    assert row.error.startswith("invalid-event")


def test_without_the_ledger_every_group_dead_letters_its_own_copy():
    bus = InProcessBus()
    bus.publisher().publish(Topic.CUSTOMER.value, b"{")
    for name in ("a", "b"):
        h = Named(name)
        ProcessorRunner(h, bus.consumer(name, h.topics), bus.publisher(), poll_timeout_ms=0).run_once()
    assert len(bus.records("customer.events.dlq")) == 2


def test_the_replay_ledger_remembers_positions_per_dlq_topic(engine):
    ledger = ReplayLedger(engine)
    assert ledger.replayed("customer.events.dlq") == set()
    ledger.mark("customer.events.dlq", [(0, 4), (2, 9)])
    ledger.mark("customer.events.dlq", [(0, 4)])  # marking again changes nothing
    ledger.mark("login.events.dlq", [(0, 1)])
    assert ledger.replayed("customer.events.dlq") == {(0, 4), (2, 9)}
    assert ledger.replayed("login.events.dlq") == {(0, 1)}


def test_one_owner_per_record_and_an_unconfirmed_owner_publishes_again(engine):
    from kernel.transport import Record

    ledger = DeadLetters(engine)
    record = Record("customer.events", 2, 41, None, b"{")
    assert ledger.claim(record, "identity", "invalid-event: x") is True  # the owner
    assert ledger.claim(record, "features", "invalid-event: x") is False  # racing group: named only
    assert ledger.claim(record, "identity", "invalid-event: x") is True  # owner retrying, not confirmed
    ledger.published(record)
    assert ledger.claim(record, "identity", "invalid-event: x") is False
    assert ledger.claim(record, "customer360", "invalid-event: x") is False
    with engine.connect() as conn:
        [row] = conn.execute(dead_letter_t.select()).all()
    assert (row.processors, row.published) == (["identity", "features", "customer360"], True)

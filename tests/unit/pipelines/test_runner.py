import pytest

from kernel.errors import InvalidEvent
from kernel.events import CustomerChanged, Topic
from kernel.transport import InProcessBus
from pipelines.processors import ProcessorRunner
from tests.factories import customer

pytestmark = pytest.mark.unit


class Recorder:
    name = "recorder"
    topics = (Topic.CUSTOMER.value,)

    def __init__(self, fail_times: int = 0, reject_key: str | None = None) -> None:
        self.seen: list[str] = []
        self.flushes = 0
        self._fail_times = fail_times
        self._reject_key = reject_key

    def handle(self, event):
        assert isinstance(event, CustomerChanged)
        if event.source_key == self._reject_key:
            raise InvalidEvent("business rule says no")
        if self._fail_times:
            self._fail_times -= 1
            raise ConnectionError("database down")
        self.seen.append(event.source_key)

    def flush(self):
        self.flushes += 1


def _publish(bus, *payloads: bytes) -> None:
    for p in payloads:
        bus.publisher().publish(Topic.CUSTOMER.value, p)


def test_malformed_event_goes_to_the_dlq_with_its_error_and_the_processor_continues():
    bus = InProcessBus()
    _publish(
        bus,
        customer(key="C1").model_dump_json().encode(),
        b'{"broken": ',
        customer(key="C2").model_dump_json().encode(),
    )
    handler = Recorder()
    runner = ProcessorRunner(handler, bus.consumer("g", handler.topics), bus.publisher(), poll_timeout_ms=0)
    assert runner.run_once() == 3
    assert handler.seen == ["C1", "C2"]
    [dead] = bus.records("customer.events.dlq")
    assert dead.value == b'{"broken": '
    headers = dict(dead.headers)
    assert b"invalid-event" in headers["error"]
    assert headers["source_offset"] == b"1"
    assert bus.committed("g", "customer.events") == 3


def test_a_handler_rejection_is_dead_lettered_too():
    bus = InProcessBus()
    _publish(bus, customer(key="BAD").model_dump_json().encode())
    handler = Recorder(reject_key="BAD")
    ProcessorRunner(handler, bus.consumer("g", handler.topics), bus.publisher(), poll_timeout_ms=0).run_once()
    assert b"business rule says no" in dict(bus.records("customer.events.dlq")[0].headers)["error"]


def test_transient_failure_commits_nothing_and_the_batch_is_redelivered():
    bus = InProcessBus()
    _publish(bus, customer(key="C1").model_dump_json().encode())
    handler = Recorder(fail_times=1)
    consumer = bus.consumer("g", handler.topics)
    runner = ProcessorRunner(handler, consumer, bus.publisher(), poll_timeout_ms=0)
    with pytest.raises(ConnectionError):
        runner.run_once()
    assert bus.committed("g", "customer.events") == 0
    consumer.rewind()
    runner.run_once()
    assert handler.seen == ["C1"]
    assert handler.flushes == 1
    assert bus.records("customer.events.dlq") == []

"""The Kafka adapters against the real broker: ordering, commit-after-success, DLQ."""

import pytest

from infra.local_services import KAFKA
from kernel.events import Topic
from kernel.transport._kafka import KafkaEventConsumer, KafkaEventPublisher
from pipelines.processors import ProcessorRunner
from tests.factories import customer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _drain(consumer, want: int, rounds: int = 60):
    got = []
    for _ in range(rounds):
        got.extend(consumer.poll(500))
        if len(got) >= want:
            break
    return got


def test_uncommitted_records_are_redelivered_to_the_group_and_committed_ones_are_not(topic_prefix):
    pub = KafkaEventPublisher(KAFKA, "t-pub", topic_prefix)
    for i in range(5):
        pub.publish("customer.events", f"m{i}".encode(), key="same-customer")
    pub.flush()

    first = KafkaEventConsumer(KAFKA, "t1", "g", ["customer.events"], topic_prefix)
    got = _drain(first, 5)
    assert [r.value for r in got] == [b"m0", b"m1", b"m2", b"m3", b"m4"]  # one key: one partition, in order
    assert {r.topic for r in got} == {"customer.events"}  # the prefix is the adapter's business
    first.close()  # nothing committed: a crash right after the effect

    second = KafkaEventConsumer(KAFKA, "t2", "g", ["customer.events"], topic_prefix)
    again = _drain(second, 5)
    assert [r.value for r in again] == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    second.commit()
    second.close()

    pub.publish("customer.events", b"m5", key="same-customer")
    pub.flush()
    third = KafkaEventConsumer(KAFKA, "t3", "g", ["customer.events"], topic_prefix)
    assert [r.value for r in _drain(third, 1)] == [b"m5"]
    third.close()
    pub.close()


class Collect:
    name = "collect"
    topics = (Topic.CUSTOMER.value,)

    def __init__(self):
        self.keys = []

    def handle(self, event):
        self.keys.append(event.source_key)

    def flush(self):
        pass


def test_malformed_event_lands_in_the_kafka_dlq_and_processing_continues(topic_prefix):
    pub = KafkaEventPublisher(KAFKA, "t-pub", topic_prefix)
    pub.publish("customer.events", customer(key="C1").model_dump_json().encode(), key="k")
    pub.publish("customer.events", b"not json at all", key="k")
    pub.publish("customer.events", customer(key="C2").model_dump_json().encode(), key="k")
    pub.flush()
    handler = Collect()
    consumer = KafkaEventConsumer(KAFKA, "t-run", "runner", handler.topics, topic_prefix)
    runner = ProcessorRunner(handler, consumer, pub, poll_timeout_ms=500)
    for _ in range(40):
        runner.run_once()
        if len(handler.keys) == 2:
            break
    assert handler.keys == ["C1", "C2"]
    dlq = KafkaEventConsumer(KAFKA, "t-dlq", "dlq-reader", ["customer.events.dlq"], topic_prefix)
    [dead] = _drain(dlq, 1)
    assert dead.value == b"not json at all"
    assert b"invalid-event" in dict(dead.headers)["error"]
    consumer.close()
    dlq.close()
    pub.close()


def test_commits_reach_the_broker_while_polling_and_the_last_one_before_close_is_kept(topic_prefix):
    """``commit`` does not wait for the broker (the loop goes on polling); the offsets still
    arrive, and a commit made just before ``close`` is not lost with the closing client."""
    from kafka import KafkaConsumer, TopicPartition

    pub = KafkaEventPublisher(KAFKA, "t-pub-async", topic_prefix)
    for i in range(3):
        pub.publish("customer.events", f"a{i}".encode(), key="one-customer")
    pub.flush()
    consumer = KafkaEventConsumer(KAFKA, "t-async", "async-commits", ["customer.events"], topic_prefix)
    got = _drain(consumer, 3)
    assert len(got) == 3
    consumer.commit()
    tp = TopicPartition(topic_prefix + "customer.events", got[0].partition)
    probe = KafkaConsumer(bootstrap_servers=KAFKA, group_id="async-commits", enable_auto_commit=False)
    try:
        seen = None
        for _ in range(40):  # the answer is read by a later poll; the broker has it already
            consumer.poll(50)
            seen = probe.committed(tp)
            if seen == got[-1].offset + 1:
                break
        assert seen == got[-1].offset + 1

        pub.publish("customer.events", b"a3", key="one-customer")
        pub.flush()
        assert [r.value for r in _drain(consumer, 1)] == [b"a3"]
        consumer.commit()
        consumer.close()  # no poll after the commit
        assert probe.committed(tp) == got[-1].offset + 2
    finally:
        probe.close()
        pub.close()

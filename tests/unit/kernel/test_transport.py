import pytest

from kernel.transport import InProcessBus

pytestmark = pytest.mark.unit


def test_group_resumes_from_its_committed_offset():
    bus = InProcessBus()
    pub = bus.publisher()
    for i in range(5):
        pub.publish("t", f"m{i}".encode(), key="k")
    first = bus.consumer("g", ["t"])
    assert [r.value for r in first.poll(0, max_records=3)] == [b"m0", b"m1", b"m2"]
    first.commit()
    assert [r.value for r in first.poll(0)] == [b"m3", b"m4"]  # not committed
    second = bus.consumer("g", ["t"])  # a restarted member
    assert [r.value for r in second.poll(0)] == [b"m3", b"m4"]


def test_rewind_redelivers_uncommitted_records():
    bus = InProcessBus()
    bus.publisher().publish("t", b"a")
    consumer = bus.consumer("g", ["t"])
    assert len(consumer.poll(0)) == 1
    consumer.rewind()
    assert [r.value for r in consumer.poll(0)] == [b"a"]


def test_groups_are_independent_and_keys_headers_kept():
    bus = InProcessBus()
    bus.publisher().publish("t", b"a", key="k1", headers=[("h", b"v")])
    one, two = bus.consumer("g1", ["t"]), bus.consumer("g2", ["t"])
    r1, r2 = one.poll(0)[0], two.poll(0)[0]
    assert r1 == r2
    assert (r1.key, r1.headers, r1.offset) == (b"k1", (("h", b"v"),), 0)


def test_poll_waits_for_new_records_up_to_the_timeout():
    bus = InProcessBus()
    consumer = bus.consumer("g", ["t"])
    assert consumer.poll(10) == []

import threading

import pytest

from bento_service.batch_drainer import BatchDrainer

pytestmark = pytest.mark.unit


class Recorder:
    def __init__(self, hold: threading.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.hold = hold
        self.entered = threading.Event()

    def __call__(self, batch: list[int]) -> None:
        self.entered.set()
        if self.hold is not None:
            assert self.hold.wait(5)
        self.batches.append(batch)


def test_items_queued_while_the_thread_is_busy_come_as_one_batch_in_order() -> None:
    hold = threading.Event()
    rec = Recorder(hold)
    drainer: BatchDrainer[int] = BatchDrainer(rec, name="t", max_batch=100)
    drainer.put(0)
    assert rec.entered.wait(5)  # the thread holds item 0 in the handler
    for i in range(1, 8):
        drainer.put(i)
    hold.set()
    drainer.close()
    assert rec.batches == [[0], [1, 2, 3, 4, 5, 6, 7]]


def test_a_batch_never_exceeds_max_batch_and_close_handles_everything_queued() -> None:
    hold = threading.Event()
    rec = Recorder(hold)
    drainer: BatchDrainer[int] = BatchDrainer(rec, name="t", max_batch=3)
    drainer.put(0)
    assert rec.entered.wait(5)
    for i in range(1, 9):
        drainer.put(i)
    hold.set()
    drainer.close()
    assert rec.batches == [[0], [1, 2, 3], [4, 5, 6], [7, 8]]


def test_a_full_queue_refuses_the_item() -> None:
    hold = threading.Event()
    rec = Recorder(hold)
    drainer: BatchDrainer[int] = BatchDrainer(rec, name="t", max_batch=10, max_queued=2)
    assert drainer.put(0)
    assert rec.entered.wait(5)
    assert drainer.put(1) and drainer.put(2)
    assert not drainer.put(3)
    hold.set()
    drainer.close()
    assert [i for b in rec.batches for i in b] == [0, 1, 2]


def test_linger_gathers_items_put_just_after_the_first() -> None:
    rec = Recorder()
    drainer: BatchDrainer[int] = BatchDrainer(rec, name="t", max_batch=10, linger_s=1.0)
    for i in range(4):
        drainer.put(i)
    drainer.close()
    assert rec.batches == [[0, 1, 2, 3]]


def test_close_without_any_item_is_harmless_and_max_batch_is_checked() -> None:
    BatchDrainer(Recorder(), name="t", max_batch=1).close()
    with pytest.raises(ValueError, match="max_batch"):
        BatchDrainer(Recorder(), name="t", max_batch=0)

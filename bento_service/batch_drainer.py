"""One background thread that takes queued items in batches: the decision log's group commit and
the ``decision.events`` publisher both drain their work this way.

The thread starts on the first :meth:`BatchDrainer.put`; it blocks for one item, optionally waits
``linger_s`` for more to gather, takes up to ``max_batch`` without blocking and hands them to
``handle`` in arrival order. :meth:`BatchDrainer.close` queues a stop mark: items put before it
are still handled, then the thread ends.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["BatchDrainer"]

T = TypeVar("T")

_STOP = object()


class BatchDrainer(Generic[T]):
    def __init__(
        self,
        handle: Callable[[list[T]], None],
        *,
        name: str,
        max_batch: int,
        linger_s: float = 0.0,
        max_queued: int | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._handle = handle
        self._name = name
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._max_queued = max_queued
        self._queue: queue.SimpleQueue[T | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def put(self, item: T) -> bool:
        """Queue ``item``; ``False`` (not queued) when ``max_queued`` items are already waiting."""
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                    self._thread.start()
        if self._max_queued is not None and self._queue.qsize() >= self._max_queued:
            return False
        self._queue.put(item)
        return True

    @property
    def queued(self) -> int:
        """Items waiting (approximately: other threads may be putting)."""
        return self._queue.qsize()

    def close(self, timeout_s: float = 5.0) -> None:
        """Handle what was queued, then stop the thread (waiting at most ``timeout_s``)."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=timeout_s)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            if self._linger_s:
                time.sleep(self._linger_s)
            batch: list[T] = [first]  # type: ignore[list-item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._handle(batch)
            if stop:
                return

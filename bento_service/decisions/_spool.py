"""The decision spool: where a decision record goes when the decision log cannot take it in time.

An append-only JSON-lines file, fsync'ed per record, drained into the log in order when the
database answers again. Draining is idempotent: a record whose ``decision_id`` is already in the
log (a write that timed out but committed) is skipped. The API's worker processes share the
file: every access holds an exclusive ``flock`` on a lock file beside it, so one worker's drain
never loses another's append.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from bento_service.decision_log import DecisionLog

__all__ = ["DecisionSpool", "drain_periodically"]

log = logging.getLogger(__name__)


class _Locked:
    """The thread lock plus an exclusive ``flock`` across processes."""

    def __init__(self, path: Path) -> None:
        self._thread_lock = threading.Lock()
        self._path = path

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            os.close(self._fd)  # releases the flock
        finally:
            self._thread_lock.release()


class DecisionSpool:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _Locked(path.with_name(path.name + ".lock"))

    def put(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, default=str, separators=(",", ":")) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def pending(self) -> int:
        with self._lock:
            if not self.path.exists():
                return 0
            with self.path.open(encoding="utf-8") as f:
                return sum(1 for line in f if line.strip())

    def drain(self, decision_log: DecisionLog) -> int:
        """Write every spooled record to the log, in order; returns how many were written."""
        with self._lock:
            if not self.path.exists():
                return 0
            lines = [ln for ln in self.path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            written = 0
            for i, line in enumerate(lines):
                entry = json.loads(line)
                entry["decided_at"] = datetime.fromisoformat(entry["decided_at"])
                record = entry.pop("record")
                try:
                    if decision_log.get(entry["decision_id"]) is None:
                        decision_log.append(record, **entry)
                        written += 1
                except IntegrityError:
                    pass  # committed by the write that timed out
                except Exception:
                    # keep what is left, in order, for the next attempt
                    self._rewrite(lines[i:])
                    raise
            self._rewrite([])
            if written:
                log.info("drained %d spooled decision records into the log", written)
            return written

    def _rewrite(self, lines: list[str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")
        os.replace(tmp, self.path)


def drain_periodically(drain: Callable[[], int], stop: threading.Event, interval_s: float = 2.0) -> None:
    """Run ``drain`` every ``interval_s`` until ``stop`` is set (the API process's spool drainer)."""
    while not stop.wait(interval_s):
        try:
            drain()
        except Exception as exc:  # the log is still unavailable: try again at the next tick
            log.warning("decision spool not drained yet: %s", exc)

"""The decision spool is shared by the API's worker processes: every access holds an exclusive
lock on a lock file (flock), so an append waits while another process drains the file and is
never lost by the drain's rewrite."""

import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest

from bento_service.decisions import DecisionSpool

pytestmark = pytest.mark.unit

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
"""


def test_an_append_waits_for_another_process_holding_the_spool(tmp_path):
    spool = DecisionSpool(tmp_path / "spool.jsonl")
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "spool.jsonl.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        done = threading.Event()

        def append() -> None:
            spool.put({"decision_id": "d1", "decided_at": datetime.now(UTC).isoformat()})
            done.set()

        writer = threading.Thread(target=append)
        writer.start()
        assert not done.wait(0.3)  # blocked by the other process's lock
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert done.wait(10)
        writer.join()
    assert spool.pending() == 1

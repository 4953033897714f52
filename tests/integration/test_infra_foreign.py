"""``infra/`` never harms what it did not start.

A second checkout (this checkout's scripts with a fresh run directory) reuses the services already
running on the default ports and leaves them running; a port held by something the project cannot
use is refused with a way out (another ``EB_*_PORT``), and its holder is left alone.

Needs the services of ``infra/up.sh`` on their default ports (whichever run dir started them).
Real processes, no mocks.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
HOST = "127.0.0.1"
#: service -> (name in the "reusing the <name>" line, default port, port variable)
SERVICES = {
    "postgres": ("PostgreSQL", 5432, "EB_PG_PORT"),
    "redis": ("Redis", 6379, "EB_REDIS_PORT"),
    "kafka": ("Kafka", 9092, "EB_KAFKA_PORT"),
    "mariadb": ("MariaDB", 3306, "EB_MARIADB_PORT"),
}

# A TCP listener that is none of the services: accepts connections and closes them at once.
_DUMMY_LISTENER = """
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(16)
print(server.getsockname()[1], flush=True)
while True:
    conn, _ = server.accept()
    conn.close()
"""


def _infra(
    script: str, *args: str, run_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``infra/<script>`` of this checkout with its own run dir (and no inherited EB_* settings)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("EB_")}
    # This checkout may have no .venv of its own (a worktree): kafka_topics.py runs with ours.
    clean |= {"EB_RUN_DIR": str(run_dir), "EB_PYTHON": sys.executable, **(env or {})}
    return subprocess.run(
        ["bash", str(INFRA / script), *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=180,
        check=False,
    )


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=5):
            return True
    except OSError:
        return False


def _listener_pid(port: int) -> int | None:
    """Pid of the process listening on ``port`` (None when ss cannot tell)."""
    out = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    found = re.search(r"pid=(\d+)", out)
    return int(found.group(1)) if found else None


def _serving() -> dict[str, int | None]:
    """The listener pid of each service, after checking that each one answers."""
    redis_cli = subprocess.run(
        ["redis-cli", "-h", HOST, "-p", "6379", "ping"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert redis_cli.stdout.strip() == "PONG", redis_cli.stdout + redis_cli.stderr
    pg_isready = subprocess.run(
        ["pg_isready", "-h", HOST, "-p", "5432", "-t", "5"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert pg_isready.returncode == 0, pg_isready.stdout + pg_isready.stderr
    assert _port_open(9092), "Kafka no longer accepts connections on 9092"
    assert _port_open(3306), "MariaDB no longer accepts connections on 3306"
    return {svc: _listener_pid(port) for svc, (_, port, _) in SERVICES.items()}


@pytest.fixture
def running_services() -> dict[str, int | None]:
    closed = [svc for svc, (_, port, _) in SERVICES.items() if not _port_open(port)]
    if closed:
        pytest.fail(f"not running on their default ports: {', '.join(closed)} (run infra/up.sh first)")
    return _serving()


@pytest.fixture
def dummy_listener() -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen([sys.executable, "-c", _DUMMY_LISTENER], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield proc, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_second_checkout_reuses_the_running_services_and_down_leaves_them_running(
    tmp_path: Path, running_services: dict[str, int | None]
) -> None:
    run_dir = tmp_path / "second-checkout-run"

    up = _infra("up.sh", "redis", "postgres", "kafka", "mariadb", run_dir=run_dir)

    assert up.returncode == 0, up.stderr
    for svc, (name, port, _) in SERVICES.items():
        assert (
            f"{svc}: reusing the {name} on {HOST}:{port} (not started from this run dir; "
            "infra/down.sh will leave it running)" in up.stderr
        ), up.stderr
    assert _serving() == running_services  # the very same processes: nothing stopped or restarted
    assert not (run_dir / "redis" / "redis.pid").exists()
    assert not (run_dir / "kafka" / "kafka.pid").exists()

    status = _infra("status.sh", run_dir=run_dir)

    assert status.returncode == 0, status.stdout + status.stderr
    lines = status.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [[svc, "up"] for svc in SERVICES]
    assert all("foreign, reused" in line for line in lines), status.stdout

    down = _infra("down.sh", run_dir=run_dir)

    assert down.returncode == 0, down.stderr
    for svc in SERVICES:
        assert re.search(rf"{svc}: down here; .* not started from this run dir: left running", down.stderr), (
            down.stderr
        )
    assert _serving() == running_services


@pytest.mark.parametrize("svc", list(SERVICES))
def test_a_port_held_by_something_else_is_refused_with_a_way_out_and_left_alone(
    tmp_path: Path, dummy_listener: tuple[subprocess.Popen[str], int], svc: str
) -> None:
    holder, port = dummy_listener
    run_dir = tmp_path / "run"
    port_var = SERVICES[svc][2]

    up = _infra("up.sh", svc, run_dir=run_dir, env={port_var: str(port)})

    assert up.returncode != 0, up.stderr
    assert f"port {port} is held by" in up.stderr, up.stderr
    assert f"(pid {holder.pid})" in up.stderr, up.stderr  # what holds the port
    assert re.search(rf"way out: set {port_var}=\d+", up.stderr), up.stderr
    assert "or stop it yourself" in up.stderr
    assert holder.poll() is None, "the process holding the port was killed"
    assert _port_open(port)

    down = _infra("down.sh", svc, run_dir=run_dir, env={port_var: str(port)})

    assert down.returncode == 0, down.stderr
    assert holder.poll() is None, "down.sh killed a process it did not start"
    assert _port_open(port)


def test_a_port_variable_that_is_not_a_port_is_rejected(tmp_path: Path) -> None:
    done = _infra("status.sh", "redis", run_dir=tmp_path / "run", env={"EB_REDIS_PORT": "63a79"})

    assert done.returncode == 2
    assert "EB_REDIS_PORT=63a79 is not a TCP port" in done.stderr

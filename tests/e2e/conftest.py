"""Shared by the e2e tests of both modes: a real API process, and the simulator's ground truth."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from cli._process import stop_process_group
from infra.local_services import kafka_topics, postgres_database
from pipelines.simulator import SimulatedBank, simulate_bank

ROOT = Path(__file__).resolve().parents[2]
BRAIN = [sys.executable, "-m", "cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def brain_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EB_")}
    env.update({f"EB_{k.upper()}": v for k, v in settings.items()})
    return env


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not healthy in {timeout_s}s:\n{log.read_text()[-4000:]}")


@contextmanager
def running(cmd: list[str], env: dict[str, str], log: Path, url: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_healthy(url, proc, log)
            yield proc
        finally:
            stop_process_group(proc, grace_s=30.0)


@dataclass(frozen=True)
class Truth:
    """What the simulator says about people, read from its ground-truth file."""

    records: dict[str, list[tuple[str, str]]]  # person → source refs
    household: dict[str, str]  # person → household

    @classmethod
    def read(cls, path: Path) -> Truth:
        records: dict[str, list[tuple[str, str]]] = defaultdict(list)
        household: dict[str, str] = {}
        with path.open() as f:
            for row in csv.DictReader(f):
                records[row["person_id"]].append((row["source_system"], row["source_key"]))
                household[row["person_id"]] = row["household_id"]
        return cls(dict(records), household)

    def duplicated_people(self) -> list[str]:
        return sorted(p for p, refs in self.records.items() if len(refs) > 1)

    def household_pairs(self) -> list[tuple[str, str]]:
        by_house: dict[str, list[str]] = defaultdict(list)
        for person, house in self.household.items():
            by_house[house].append(person)
        return [(a, b) for members in by_house.values() if len(members) > 1 for a, b in [sorted(members)[:2]]]


def expected_velocity(
    bank: SimulatedBank, refs: list[tuple[str, str]]
) -> tuple[int, Decimal, datetime] | None:
    """Count and sum of the person's transactions in the 24 h up to their latest one."""
    txns = [t for t in bank.transactions if (t.source_system, t.payload.customer_source_key) in set(refs)]
    if not txns:
        return None
    latest = max(t.occurred_at for t in txns)
    window = [t for t in txns if latest - timedelta(hours=24) < t.occurred_at <= latest]
    return len(window), sum((t.payload.amount for t in window), Decimal(0)), latest


def pick_person_with_recent_activity(
    truth: Truth, bank: SimulatedBank
) -> tuple[str, tuple[int, Decimal, datetime]]:
    """A person present in two systems whose latest transaction is well inside the features' ttl."""
    for person in truth.duplicated_people():
        expected = expected_velocity(bank, truth.records[person])
        if expected and bank.now - expected[2] < timedelta(hours=20):
            return person, expected
    raise AssertionError("the simulation has no duplicated person with recent transactions")


def resimulate(customers: int, seed: int) -> SimulatedBank:
    """The same bank the process simulated: the generator depends on the seed, times on ``now`` only."""
    return simulate_bank(customers, seed, datetime.now(UTC))


@pytest.fixture
def topic_prefix():
    with kafka_topics() as prefix:
        yield prefix


@pytest.fixture
def pg_url():
    with postgres_database() as url:
        yield url

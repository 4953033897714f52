"""Create or check the Kafka topics listed in ``infra/topics.txt``, in one process.

Usage (infra/kafka.sh runs it with the project's venv)::

    .venv/bin/python infra/kafka_topics.py [--bootstrap 127.0.0.1:9092] ensure   # create what is missing
    .venv/bin/python infra/kafka_topics.py check                                  # exit 1 if not as listed

``ensure`` is idempotent: it creates missing topics, raises the partition count of topics that
have fewer partitions than listed (Kafka cannot lower it), then checks. Both commands write a
one-line summary to stdout and problems to stderr. ``read_topics`` is importable for Python code
that needs the topic list.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

__all__ = ["TOPICS_FILE", "TopicSpec", "check", "ensure", "main", "read_topics"]

TOPICS_FILE = Path(__file__).resolve().parent / "topics.txt"
_REPLICATION_FACTOR = 1

log = logging.getLogger("infra.kafka_topics")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int


def read_topics(path: Path = TOPICS_FILE) -> list[TopicSpec]:
    """Parse ``name partitions`` lines; ``#`` starts a comment. Raises ValueError on bad lines."""
    specs: list[TopicSpec] = []
    errors: list[str] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].isdigit() or int(fields[1]) < 1:
            errors.append(f"{path}:{number}: expected 'name partitions', got {raw!r}")
            continue
        specs.append(TopicSpec(fields[0], int(fields[1])))
    names = [s.name for s in specs]
    errors.extend(f"{path}: topic {n} listed twice" for n in sorted({n for n in names if names.count(n) > 1}))
    if errors:
        raise ValueError("\n".join(errors))
    return specs


def _connect(bootstrap: str, timeout_s: float) -> KafkaAdminClient:
    """A KafkaAdminClient, retrying while the broker is still starting."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return KafkaAdminClient(
                bootstrap_servers=bootstrap,
                client_id="eb-infra-topics",
                request_timeout_ms=15_000,
                bootstrap_timeout_ms=10_000,
            )
        except KafkaError as exc:
            if time.monotonic() >= deadline:
                raise
            log.debug("broker not ready yet: %s", exc)
            time.sleep(1)


def _partition_counts(admin: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partition count of each existing topic among ``names``."""
    existing = set(admin.list_topics())
    wanted = [n for n in names if n in existing]
    if not wanted:
        return {}
    return {
        t["name"]: len(t["partitions"]) for t in admin.describe_topics(wanted) if t.get("error_code", 0) == 0
    }


def check(admin: KafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    """Problems found (empty when every topic exists with its listed partition count)."""
    counts = _partition_counts(admin, [s.name for s in specs])
    problems: list[str] = []
    for spec in specs:
        have = counts.get(spec.name)
        if have is None:
            problems.append(f"missing topic {spec.name}")
        elif have != spec.partitions:
            problems.append(f"topic {spec.name} has {have} partitions, expected {spec.partitions}")
    return problems


def ensure(admin: KafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    """Create missing topics, grow under-partitioned ones, and return the remaining problems."""
    counts = _partition_counts(admin, [s.name for s in specs])
    missing = {
        s.name: {"num_partitions": s.partitions, "replication_factor": _REPLICATION_FACTOR}
        for s in specs
        if s.name not in counts
    }
    if missing:
        log.info("creating %d topics: %s", len(missing), " ".join(missing))
        # raise_errors=False: a concurrent creator may win the race (TopicAlreadyExists);
        # the check below is the judge.
        admin.create_topics(missing, raise_errors=False, wait_for_metadata=True)
    grow = {s.name: s.partitions for s in specs if s.name in counts and counts[s.name] < s.partitions}
    if grow:
        log.info("adding partitions: %s", grow)
        admin.create_partitions(grow)
        admin.wait_for_topics(list(grow))
    return check(admin, specs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("action", choices=["ensure", "check"])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topics", type=Path, default=TOPICS_FILE)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the broker")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[kafka_topics] %(message)s", stream=sys.stderr)
    logging.getLogger("kafka").setLevel(logging.ERROR)

    specs = read_topics(args.topics)
    admin = _connect(args.bootstrap, args.timeout)
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            problems = ensure(admin, specs) if args.action == "ensure" else check(admin, specs)
            if not problems or args.action == "check" or time.monotonic() >= deadline:
                break
            time.sleep(1)
    finally:
        admin.close()
    for problem in problems:
        log.error("%s", problem)
    if problems:
        return 1
    sys.stdout.write(f"{len(specs)} topics ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

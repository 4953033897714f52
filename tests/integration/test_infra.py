"""The services started by ``infra/up.sh``, seen through the Python clients the code uses.

Needs ``infra/up.sh`` (Kafka, Redis, PostgreSQL on 127.0.0.1). Read-only apart from one
Redis key in database 15 that the test deletes.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from pipelines.settings import PipelineSettings, Profile

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TOPICS_FILE = REPO / "infra" / "topics.txt"
INPUT_TOPICS = ["customer", "account", "transaction", "login", "fraud", "risk"]


def _listed_topics() -> dict[str, int]:
    topics: dict[str, int] = {}
    for line in TOPICS_FILE.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            name, partitions = fields
            topics[name] = int(partitions)
    return topics


@pytest.fixture(scope="module")
def settings() -> PipelineSettings:
    return PipelineSettings(profile=Profile.SERVICES)


@pytest.fixture(scope="module")
def admin(settings: PipelineSettings) -> Iterator[KafkaAdminClient]:
    try:
        client = KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id="eb-test-infra",
            bootstrap_timeout_ms=5_000,
            request_timeout_ms=10_000,
        )
    except KafkaError as exc:
        pytest.fail(f"Kafka is not up on {settings.kafka_bootstrap} (run infra/up.sh kafka): {exc}")
    yield client
    client.close()


def test_topics_file_lists_events_and_one_dlq_per_input_topic() -> None:
    topics = _listed_topics()

    expected = {f"{t}.events": 3 for t in [*INPUT_TOPICS, "identity", "decision"]}
    expected |= {f"{t}.events.dlq": 1 for t in INPUT_TOPICS}
    assert topics == expected


def test_kafka_has_every_listed_topic_with_its_partition_count(admin: KafkaAdminClient) -> None:
    listed = _listed_topics()

    described = admin.describe_topics(list(listed))

    found = {t["name"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
    assert found == listed
    for topic in described:
        for partition in topic["partitions"]:
            assert partition["leader_id"] >= 0, (topic["name"], partition)
            assert len(partition["replica_nodes"]) == 1


def test_kafka_does_not_auto_create_topics(admin: KafkaAdminClient) -> None:
    name = f"eb-test-no-autocreate-{uuid.uuid4().hex[:8]}"

    described = admin.describe_topics([name])

    assert described[0]["error_code"] != 0
    assert name not in admin.list_topics()


def test_redis_answers_and_round_trips(settings: PipelineSettings) -> None:
    client = redis.Redis.from_url(settings.redis_url, db=15, socket_timeout=2)
    key = f"eb-test-infra-{uuid.uuid4().hex}"
    try:
        assert client.ping() is True
        client.set(key, b"ok", ex=60)
        assert client.get(key) == b"ok"
    finally:
        client.delete(key)
        client.close()


@pytest.fixture(scope="module")
def engine(settings: PipelineSettings) -> Iterator[sa.Engine]:
    engine = sa.create_engine(settings.db_url, connect_args={"connect_timeout": 5})
    yield engine
    engine.dispose()


def test_postgres_is_ready_for_logical_decoding(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW wal_level")).scalar_one() == "logical"
        assert int(conn.execute(sa.text("SHOW max_replication_slots")).scalar_one()) >= 10
        assert int(conn.execute(sa.text("SHOW max_wal_senders")).scalar_one()) >= 10
        role = conn.execute(
            sa.text("SELECT rolname, rolreplication, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        ).one()
    assert tuple(role) == ("brain", True, True)


def test_postgres_has_brain_and_mlflow_databases_owned_by_brain(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT d.datname, r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
                " WHERE d.datname IN ('brain', 'mlflow')"
            )
        ).all()
    owners = {row.datname: row.rolname for row in rows}
    assert owners == {"brain": "brain", "mlflow": "brain"}


def test_status_script_reports_every_service_healthy() -> None:
    result = subprocess.run(
        ["bash", str(REPO / "infra" / "status.sh")], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["postgres", "up"],
        ["redis", "up"],
        ["kafka", "up"],
        ["mariadb", "up"],
    ]

"""Watermark polling of a MariaDB table with a text key in a collation other than the connection's.

The polling source used to compare the key with ``CAST(:last AS CHAR)``, which takes the
connection's collation (``utf8mb4_general_ci`` for PyMySQL); against a column in
``utf8mb4_unicode_ci`` the second poll failed with "Illegal mix of collations".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pymysql
import pytest
from sqlalchemy import create_engine

from pipelines.connectors import PollingSource, load_mappings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
def unicode_db() -> Iterator[str]:
    name = f"coll_{uuid.uuid4().hex[:8]}"
    try:
        conn = pymysql.connect(host="127.0.0.1", user="brain", password="brain", autocommit=True)
    except pymysql.MySQLError as exc:
        pytest.fail(f"MariaDB is not up on 127.0.0.1:3306 (run infra/up.sh mariadb): {exc}")
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cur.execute(f"CREATE TABLE {name}.agents (agent_id VARCHAR(32) PRIMARY KEY, agent_name VARCHAR(80))")
        cur.execute(f"INSERT INTO {name}.agents VALUES ('AG1','Shop one'),('AG2','Shop two'),('AG3','x')")
        cur.execute("SELECT @@collation_connection")
        row = cur.fetchone()
    assert row is not None and row[0] != "utf8mb4_unicode_ci"  # the mix this test is about
    yield name
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE {name}")
    conn.close()


def test_second_poll_of_a_text_key_in_another_collation(unicode_db):
    (agents,) = [m for m in load_mappings("dfs") if m.table == "agents"]
    assert agents.key == ("agent_id",) and agents.watermark is None  # the text key is the watermark
    source = PollingSource(
        create_engine(f"mysql+pymysql://brain:brain@127.0.0.1:3306/{unicode_db}"), [agents]
    )
    try:
        first = source.read(None, 2)
        assert [c.row["agent_id"] for c in first.changes] == ["AG1", "AG2"]
        second = source.read(first.position, 2)  # the comparison with the last key
        assert [c.row["agent_id"] for c in second.changes] == ["AG3"]
        assert source.read(second.position, 2).changes == []
    finally:
        source.close()

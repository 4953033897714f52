"""A source that stops early (time budget) with nothing of ours says ``more``: drain goes on."""

from __future__ import annotations

import pytest

from kernel.storage import create_db_engine, migrate
from kernel.transport import InProcessBus
from pipelines.connectors import Batch, Change, Connector, ConnectorStore, load_mappings
from pipelines.connectors._mapping import Lookup

pytestmark = pytest.mark.unit


class BudgetedSource:
    """Three reads: two that only skip other databases' changes (budget spent), then one row."""

    mode = "mysql_binlog"

    def __init__(self) -> None:
        self.reads = 0

    def read(self, position: str | None, limit: int) -> Batch:
        self.reads += 1
        if self.reads <= 2:
            return Batch([], f"bin.000001:{self.reads * 100}", 0.0, more=True)
        if self.reads == 3:
            row = {
                "user_id": "1",
                "full_name": "akinyi otieno",
                "kyc_tier": "TIER_1",
                "created_at": "2026-01-01 10:00:00",
            }
            return Batch([Change("users", "insert", row, "bin.000001:400:0")], "bin.000001:450", 0.0)
        return Batch([], position, 0.0)

    def acknowledge(self, position: str) -> None: ...

    def lookup(self, rule: Lookup, value: str) -> str | None:
        return None

    def close(self) -> None: ...


def test_drain_continues_while_the_source_has_more() -> None:
    engine = create_db_engine("sqlite://")
    migrate(engine)
    bus, source = InProcessBus(), BudgetedSource()
    maps = load_mappings("dfs")
    connector = Connector("dfs", source, maps, bus.publisher(), ConnectorStore(engine), b"k" * 32)
    assert connector.drain() == 1
    assert source.reads == 4  # stopped only at an empty read without `more`
    assert ConnectorStore(engine).position("dfs") == "bin.000001:450"
    assert len(bus.records("customer.events")) == 1
    engine.dispose()

"""One connector: read changes after the committed position, map, publish, commit, acknowledge.

The order is what makes a kill at any moment safe:

1. read the changes after the position committed in the operational DB (the source keeps them);
2. map each to its canonical event (deterministic id from system, table, key and change position)
   or, when it cannot be mapped, to a DLQ record with the source, key, error and raw values;
3. publish and flush (Kafka has them);
4. in one DB transaction, keep the raw records (staging/lineage) and move the position;
5. tell the source it may release what is committed (PostgreSQL: advance the slot).

A kill before 4 re-reads the same changes → the same event ids → downstream processors, which are
idempotent on ``event_id``, change nothing. A kill between 4 and 5 re-reads changes at or before
the committed position, which the source skips.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from kernel.events import dlq_topic, event_key, topic_of
from kernel.transport import EventPublisher
from pipelines.connectors._mapper import Change, Mapper, RawValue
from pipelines.connectors._mapping import Lookup, TableMapping
from pipelines.connectors._source import ChangeSource
from pipelines.connectors._store import ConnectorStore, RawRecord
from pipelines.connectors.errors import RowError
from pipelines.metrics import EVENTS_DEAD_LETTERED, EVENTS_PRODUCED

__all__ = ["Connector", "StepResult", "TOPIC_OF_EVENT"]

log = logging.getLogger(__name__)

_SEEN_MAX = 200_000

TOPIC_OF_EVENT = {
    "customer.changed": "customer.events",
    "account.changed": "account.events",
    "transaction.posted": "transaction.events",
    "login.attempted": "login.events",
    "fraud.alert": "fraud.events",
    "risk.score": "risk.events",
}


@dataclass(frozen=True, slots=True)
class StepResult:
    rows: int
    events: int
    errors: int
    position: str | None
    lag_s: float | None
    more: bool = False  # the source has more to read right away


class Connector:
    def __init__(
        self,
        name: str,
        source: ChangeSource,
        mappings: Sequence[TableMapping],
        publisher: EventPublisher,
        store: ConnectorStore,
        card_key: bytes,
        batch_size: int = 2000,
    ) -> None:
        self.name = name
        self.source = source
        self._publisher = publisher
        self._store = store
        self._batch_size = batch_size
        self._mappers: dict[str, list[Mapper]] = {}
        #: (table, key column) → key value → row: lookups answered from rows this connector saw,
        #: so a transaction whose account was deleted later in the stream still finds its customer.
        self._seen: dict[tuple[str, str], OrderedDict[str, dict[str, RawValue]]] = {}
        for m in mappings:
            for rule in m.fields.values():
                hop = rule.lookup
                while hop is not None:  # every hop of a chained lookup
                    self._seen.setdefault((hop.table, hop.key), OrderedDict())
                    hop = hop.then
        for m in mappings:
            self._mappers.setdefault(m.table, []).append(Mapper(m, card_key, self._lookup))

    def _remember(self, change: Change) -> None:
        for (table, column), cache in self._seen.items():
            if table == change.table:
                value = change.row.get(column)
                if value is not None:
                    cache[value] = dict(change.row)
                    cache.move_to_end(value)
                    if len(cache) > _SEEN_MAX:
                        cache.popitem(last=False)

    def _lookup(self, rule: Lookup, value: str) -> RawValue:
        cache = self._seen[(rule.table, rule.key)]
        row = cache.get(value)
        if row is not None and rule.column in row:
            return row[rule.column]
        return self.source.lookup(rule, value)

    def step(self) -> StepResult:
        """One batch; returns what it did (0 rows when the source has nothing new)."""
        position = self._store.position(self.name)
        batch = self.source.read(position, self._batch_size)
        raws, rows, events, errors, last_error = self.emit(batch.changes)
        moved = batch.position != position
        if moved or rows:
            self._store.commit(
                self.name,
                self.source.mode,
                batch.position,
                raws,
                rows=rows,
                events=events,
                errors=errors,
                lag_s=batch.lag_s,
                last_error=last_error,
            )
        if batch.position is not None and moved:
            self.source.acknowledge(batch.position)
        return StepResult(rows, events, errors, batch.position, batch.lag_s, batch.more)

    def emit(self, changes: Sequence[Change]) -> tuple[list[RawRecord], int, int, int, str | None]:
        """Map and publish ``changes`` (or dead-letter them), flushed; the position is not touched.

        Returns the raw records to keep, rows with a mapping, events, errors and the last error.
        :meth:`step` commits them with the position; reconciliation keeps them on their own.
        """
        raws: list[RawRecord] = []
        events = errors = rows = 0
        last_error: str | None = None
        for change in changes:
            self._remember(change)
        for change in changes:
            mappers = self._mappers.get(change.table, [])
            rows += 1 if mappers else 0
            for mapper in mappers:
                ok, produced, error = self._one(mapper, change, raws)
                events += produced
                if not ok:
                    errors += 1
                    last_error = error
        if raws or errors:
            self._publisher.flush()
        return raws, rows, events, errors, last_error

    def mappers(self, table: str) -> list[Mapper]:
        return list(self._mappers.get(table, []))

    def _one(self, mapper: Mapper, change: Change, raws: list[RawRecord]) -> tuple[bool, int, str | None]:
        """Publish the event of one change (or dead-letter it); returns (ok, events, error)."""
        try:
            event = mapper.map(change)
        except RowError as exc:
            self._dead_letter(mapper, change, exc.detail)
            raws.append(self._raw(mapper, change, None))
            return False, 0, exc.detail
        if event is None:
            raws.append(self._raw(mapper, change, None))
            return True, 0, None
        topic = topic_of(event).value
        headers = [
            ("connector", self.name.encode()),
            ("raw_ref", f"{change.table}|{event.source_key}|{change.position}".encode()),
        ]
        if mapper.mapping.identity_evidence:
            headers.append(("identity_evidence", ",".join(mapper.mapping.identity_evidence).encode()))
        self._publisher.publish(
            topic, event.model_dump_json().encode(), key=event_key(event), headers=headers
        )
        EVENTS_PRODUCED.labels(topic).inc()
        raws.append(self._raw(mapper, change, event.event_id))
        return True, 1, None

    def run(self, stop: threading.Event, idle_s: float = 0.2) -> None:
        while not stop.is_set():
            result = self.step()
            if result.rows == 0 and not result.more:
                stop.wait(idle_s)

    def drain(self, max_steps: int = 10_000) -> int:
        """Step until the source has nothing new; returns rows read (tests, CLI ``--once``)."""
        total = 0
        for _ in range(max_steps):
            result = self.step()
            total += result.rows
            if result.rows == 0 and not result.more:
                break
        return total

    @staticmethod
    def _raw(mapper: Mapper, change: Change, event_id: str | None) -> RawRecord:
        try:
            key = mapper.source_key(change.row)
        except RowError:
            key = "<no key>"
        return RawRecord(change.table, key, change.position, change.op, mapper.scrub(change.row), event_id)

    def _dead_letter(self, mapper: Mapper, change: Change, error: str) -> None:
        topic = TOPIC_OF_EVENT[mapper.mapping.event]
        try:
            key = mapper.source_key(change.row)
        except RowError:
            key = "<no key>"
        body = {
            "connector": self.name,
            "source_system": mapper.mapping.system,
            "source_table": change.table,
            "source_key": key,
            "op": change.op,
            "position": change.position,
            "committed_at": change.committed_at.isoformat() if change.committed_at else None,
            "error": error,
            "raw": mapper.scrub(change.row),
        }
        headers = [
            ("error", error.encode()[:4000]),
            ("connector", self.name.encode()),
            ("source_system", mapper.mapping.system.encode()),
            ("source_table", change.table.encode()),
            ("source_key", key.encode()),
            ("position", change.position.encode()),
            ("dlq_kind", b"connector_row"),
        ]
        self._publisher.publish(dlq_topic(topic), json.dumps(body).encode(), key=key, headers=headers)
        EVENTS_DEAD_LETTERED.labels(topic).inc()
        log.warning("%s: dead-lettered %s[%s]@%s: %s", self.name, change.table, key, change.position, error)

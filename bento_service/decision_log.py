"""The decision log: append-only, hash-chained, written before the answer leaves the service.

Each record's ``record_hash`` is SHA-256 over the previous record's hash and the canonical JSON of
the record, so altering, deleting or reordering any record breaks every hash after it
(:func:`verify_chain`). Appends are serialised: an in-process lock plus, on PostgreSQL, a
transaction-scoped advisory lock, so concurrent workers never fork the chain. The API appends
through a :class:`GroupCommitter` (one writer thread batching concurrent appends into one
transaction; each request still waits for its batch's commit before answering). Each batch also
inserts, in the same statement, its ``decision_outbox`` mark (the batch's ``seq`` range, not yet
published to ``decision.events``); the writer hands the committed batch to a
:class:`CommitListener` (:class:`bento_service.outbox.DecisionEventsPublisher`), which publishes
it from memory and clears the mark. A record is JSON-encoded once (:attr:`LogEntry.record_json`):
the same text is hashed and stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from bento_service.batch_drainer import BatchDrainer
from kernel.storage import reader_engine, run_read
from kernel.storage.schema import decision_log, decision_outbox

__all__ = [
    "GENESIS",
    "ChainReport",
    "CommitListener",
    "DecisionLog",
    "GroupCommitter",
    "LogEntry",
    "StoredDecision",
    "canonical_json",
    "record_hash",
    "verify_chain",
]

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_ADVISORY_KEY = 7_316_002  # arbitrary, constant: "decision log chain"
_LOCK_AND_HEAD = (
    f"SELECT pg_advisory_xact_lock({_ADVISORY_KEY}); "
    "SELECT record_hash FROM decision_log ORDER BY seq DESC LIMIT 1"
)
_PG_COLUMNS = (
    "decision_id, idempotency_key, decision_type, gcid, outcome, reason_codes, rule_set_version, "
    "model_version, score, degraded, latency_ms, record, decided_at, prev_hash, record_hash"
)
_PG_ROW = "(" + ",".join(["%s"] * 11 + ["%s::jsonb"] + ["%s"] * 3) + ")"  # the record: text, once
# the batch's rows and its outbox mark (its seq range) in one statement: committed together
_PG_INSERT = (
    "WITH ins AS (INSERT INTO decision_log ({columns}) VALUES {rows} RETURNING seq, decision_id), "
    "mark AS (INSERT INTO decision_outbox (lo, hi, created_at) "
    "SELECT min(seq), max(seq), now() FROM ins) "
    "SELECT seq, decision_id FROM ins"
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    return _chained(prev_hash, canonical_json(record))


def _chained(prev_hash: str, record_json: str) -> str:
    """The link of a record whose canonical JSON is ``record_json`` (what :func:`record_hash` hashes)."""
    return hashlib.sha256((prev_hash + record_json).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredDecision:
    seq: int
    decision_id: str
    record: dict[str, Any]
    prev_hash: str
    record_hash: str


class DecisionLog:
    def __init__(self, engine: Engine, reader: Engine | None = None) -> None:
        """``reader``: the process's autocommit reader of ``engine`` (:func:`reader_engine`), shared
        and disposed by its owner; without one the log opens and disposes its own."""
        self._engine = engine
        self._reader = reader if reader is not None else reader_engine(engine)
        self._owns_reader = reader is None
        self._lock = threading.Lock()
        self._pg = engine.dialect.name == "postgresql"

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def reader(self) -> Engine:
        """The autocommit engine of the single-row reads (no pre-ping, no ``BEGIN``)."""
        return self._reader

    def dispose(self) -> None:
        """Close the reader's pooled connections if the log opened them (the engine is the caller's)."""
        if self._owns_reader and self._reader is not self._engine:
            self._reader.dispose()

    def find_by_idempotency_key(self, key: str) -> StoredDecision | None:
        query = select(decision_log).where(decision_log.c.idempotency_key == key)
        row = run_read(self._reader, lambda conn: conn.execute(query).first())
        return _stored(row) if row is not None else None

    def get(self, decision_id: str) -> StoredDecision | None:
        query = select(decision_log).where(decision_log.c.decision_id == decision_id)
        row = run_read(self._reader, lambda conn: conn.execute(query).first())
        return _stored(row) if row is not None else None

    def append(
        self,
        record: dict[str, Any],
        *,
        decision_id: str,
        decision_type: str,
        gcid: str | None,
        outcome: str,
        reason_codes: list[str],
        rule_set_version: str,
        model_version: str | None,
        score: float | None,
        degraded: bool,
        latency_ms: float,
        decided_at: datetime,
        idempotency_key: str | None,
    ) -> StoredDecision:
        """Write one decision durably (committed when this returns) and chain it."""
        entry = LogEntry(
            record,
            {
                "decision_id": decision_id,
                "decision_type": decision_type,
                "gcid": gcid,
                "outcome": outcome,
                "reason_codes": reason_codes,
                "rule_set_version": rule_set_version,
                "model_version": model_version,
                "score": score,
                "degraded": degraded,
                "latency_ms": latency_ms,
                "decided_at": decided_at,
                "idempotency_key": idempotency_key,
            },
        )
        return self.append_many([entry])[0]

    def append_many(
        self, entries: Sequence[LogEntry], conn: Connection | None = None
    ) -> list[StoredDecision]:
        """Write ``entries`` durably in one transaction, chained in the given order.

        One advisory lock, one read of the chain's head, one multi-row insert and one commit for
        the whole batch (group commit). All or none: a failing entry fails the batch. ``conn``
        lets a long-lived writer reuse its connection (no pool checkout per batch).
        """
        if not entries:
            return []
        with self._lock:
            if conn is None:
                with self._engine.connect() as own:
                    return self._append_many(own, entries)
            return self._append_many(conn, entries)

    def _append_many(self, conn: Connection, entries: Sequence[LogEntry]) -> list[StoredDecision]:
        if self._pg:
            return self._append_many_pg(conn, entries)
        with conn.begin():
            if self._pg:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
            prev = conn.execute(
                select(decision_log.c.record_hash).order_by(decision_log.c.seq.desc()).limit(1)
            ).scalar_one_or_none()
            prev_hash = prev or GENESIS
            rows: list[dict[str, Any]] = []
            links: list[tuple[str, str]] = []
            for entry in entries:
                digest = _chained(prev_hash, entry.record_json)
                rows.append(
                    {**entry.columns, "record": entry.record, "prev_hash": prev_hash, "record_hash": digest}
                )
                links.append((prev_hash, digest))
                prev_hash = digest
            if len(rows) == 1:
                seqs = [
                    conn.execute(
                        insert(decision_log).values(rows[0]).returning(decision_log.c.seq)
                    ).scalar_one()
                ]
            else:
                returned = conn.execute(
                    insert(decision_log).returning(
                        decision_log.c.seq, decision_log.c.decision_id, sort_by_parameter_order=True
                    ),
                    rows,
                ).all()
                by_id = {r.decision_id: r.seq for r in returned}
                seqs = [by_id[row["decision_id"]] for row in rows]
                if seqs != sorted(seqs):  # the chain order must be the seq order: never commit otherwise
                    raise RuntimeError("decision log batch was not numbered in chain order")
            conn.execute(
                insert(decision_outbox).values(lo=min(seqs), hi=max(seqs), created_at=datetime.now(UTC))
            )
        return [
            StoredDecision(seq, e.columns["decision_id"], e.record, p, h)
            for seq, e, (p, h) in zip(seqs, entries, links, strict=True)
        ]

    def _append_many_pg(self, conn: Connection, entries: Sequence[LogEntry]) -> list[StoredDecision]:
        """The PostgreSQL path on the driver's cursor (the hot path: SQLAlchemy's per-statement
        work was half of the writer's CPU). Three round trips per batch: the advisory lock and the
        chain head (two statements in one simple query, so the head is read with a snapshot
        taken after the lock is held), the multi-row insert with the batch's outbox mark, the
        commit. The record goes as the text that was hashed (cast to JSONB by the server)."""
        with conn.begin():
            raw: Any = conn.connection.driver_connection
            with raw.cursor() as cur:
                cur.execute(_LOCK_AND_HEAD)
                cur.nextset()
                head = cur.fetchone()
                prev_hash: str = head[0] if head else GENESIS
                values: list[Any] = []
                links: list[tuple[str, str]] = []
                for entry in entries:
                    digest = _chained(prev_hash, entry.record_json)
                    c = entry.columns
                    values += [
                        c["decision_id"],
                        c["idempotency_key"],
                        c["decision_type"],
                        c["gcid"],
                        c["outcome"],
                        Jsonb(c["reason_codes"]),
                        c["rule_set_version"],
                        c["model_version"],
                        c["score"],
                        c["degraded"],
                        c["latency_ms"],
                        entry.record_json,
                        c["decided_at"].astimezone(UTC),
                        prev_hash,
                        digest,
                    ]
                    links.append((prev_hash, digest))
                    prev_hash = digest
                rows = ",".join([_PG_ROW] * len(entries))
                statement = _PG_INSERT.format(columns=_PG_COLUMNS, rows=rows)
                try:
                    cur.execute(statement, values)
                except psycopg.IntegrityError as exc:  # what callers catch (the spool drain: a duplicate)
                    raise IntegrityError(statement, None, exc) from exc
                by_id = {decision_id: seq for seq, decision_id in cur.fetchall()}
            seqs = [by_id[e.columns["decision_id"]] for e in entries]
            if seqs != sorted(seqs):  # the chain order must be the seq order: never commit otherwise
                raise RuntimeError("decision log batch was not numbered in chain order")
        return [
            StoredDecision(seq, e.columns["decision_id"], e.record, p, h)
            for seq, e, (p, h) in zip(seqs, entries, links, strict=True)
        ]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One decision to append: its hashed ``record`` and the indexed columns beside it.

    ``record_json`` is the record's canonical JSON, encoded once: hashed and stored as it is.
    """

    record: dict[str, Any]
    columns: dict[str, Any]
    record_json: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "record_json", canonical_json(self.record))


class CommitListener(Protocol):
    """Told about every batch the :class:`GroupCommitter` committed (after its requests are
    answered), e.g. to publish it; must not block (the writer thread calls it)."""

    def committed(self, batch: Sequence[StoredDecision]) -> None: ...

    def close(self) -> None: ...


class GroupCommitter:
    r"""A single writer thread that appends queued decisions in batches (group commit).

    Each request :meth:`submit`\ s its entry and waits for the returned future, which resolves
    only after the batch holding it is committed: the record is still durable before the answer,
    while concurrent requests share one lock, one chain-head read, one insert and one commit. The
    writer is the only appender of this process, so the chain stays serial; across processes the
    advisory lock serialises batches. A request that stops waiting cancels its future; a cancelled
    entry that was not yet taken into a batch is never written (the request spools it instead).
    If a batch fails, its entries are retried one by one so one bad entry (e.g. an idempotency
    key raced by a retry) fails alone. ``listener`` gets every committed batch once its requests
    have their answers (publishing never delays a decision).
    """

    def __init__(
        self, log: DecisionLog, *, max_batch: int = 256, listener: CommitListener | None = None
    ) -> None:
        self._log = log
        self._listener = listener
        self._drainer: BatchDrainer[tuple[LogEntry, Future[StoredDecision]]] = BatchDrainer(
            self._write_live, name="decision-log-writer", max_batch=max_batch
        )
        self._conn: Connection | None = None
        self.batches = 0
        self.appended = 0

    def submit(self, entry: LogEntry) -> Future[StoredDecision]:
        future: Future[StoredDecision] = Future()
        self._drainer.put((entry, future))
        return future

    @property
    def queued(self) -> int:
        """Entries waiting for the writer."""
        return self._drainer.queued

    def close(self) -> None:
        self._drainer.close()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()  # back to the pool
        if self._listener is not None:
            self._listener.close()

    def _write_live(self, batch: list[tuple[LogEntry, Future[StoredDecision]]]) -> None:
        live = [(e, f) for e, f in batch if f.set_running_or_notify_cancel()]
        if live:
            self._write(live)

    def _write(self, batch: list[tuple[LogEntry, Future[StoredDecision]]]) -> None:
        try:
            stored = self._log.append_many([e for e, _ in batch], self._connection())
        except Exception as exc:
            self._release()
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            for entry, future in batch:  # one by one: only the bad entry fails
                try:
                    one_stored = self._log.append_many([entry], self._connection())
                except Exception as one:
                    self._release()
                    future.set_exception(one)
                else:
                    future.set_result(one_stored[0])
                    self._tell(one_stored)
            return
        self.batches += 1
        self.appended += len(stored)
        for (_, future), result in zip(batch, stored, strict=True):
            future.set_result(result)
        self._tell(stored)

    def _tell(self, stored: list[StoredDecision]) -> None:
        if self._listener is None:
            return
        try:
            self._listener.committed(stored)
        except Exception as exc:  # the batch's outbox mark stays: the sweeper publishes it
            log.warning("decision log listener failed: %s", exc)

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._log.engine.connect()
        return self._conn

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()
                conn.close()


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(engine: Engine) -> ChainReport:
    """Recompute every hash in ``seq`` order; report each record that breaks the chain."""
    problems: list[str] = []
    expected_prev = GENESIS
    checked = 0
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                decision_log.c.seq,
                decision_log.c.decision_id,
                decision_log.c.record,
                decision_log.c.prev_hash,
                decision_log.c.record_hash,
            ).order_by(decision_log.c.seq)
        )
        for row in rows:
            checked += 1
            if row.prev_hash != expected_prev:
                problems.append(
                    f"seq {row.seq} ({row.decision_id}): previous hash does not match: a record "
                    "before it was deleted, altered or reordered"
                )
            if record_hash(row.prev_hash, row.record) != row.record_hash:
                problems.append(
                    f"seq {row.seq} ({row.decision_id}): content does not match its hash (altered)"
                )
            expected_prev = row.record_hash
    return ChainReport(checked, tuple(problems))


def _stored(row: Any) -> StoredDecision:
    return StoredDecision(row.seq, row.decision_id, row.record, row.prev_hash, row.record_hash)

"""Kafka adapters of the transport ports (kafka-python)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from kernel.errors import TransportError
from kernel.transport._ports import Record

__all__ = ["KafkaEventConsumer", "KafkaEventPublisher", "ReconnectingPublisher"]

log = logging.getLogger(__name__)


class KafkaEventPublisher:
    """Durable publishing: ``acks=all``; keys keep one source customer's events in one partition."""

    def __init__(
        self, bootstrap: str, client_id: str, topic_prefix: str = "", max_block_ms: int = 60_000
    ) -> None:
        self._prefix = topic_prefix
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=bootstrap,
                client_id=client_id,
                acks="all",
                linger_ms=2,
                retries=5,
                max_in_flight_requests_per_connection=1,
                request_timeout_ms=10_000,
                max_block_ms=max_block_ms,
            )
        except KafkaError as exc:
            raise TransportError(f"cannot connect to Kafka at {bootstrap}: {exc}") from exc

    def publish(
        self, topic: str, value: bytes, key: str | None = None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        try:
            self._producer.send(
                self._prefix + topic,
                value=value,
                key=key.encode() if key is not None else None,
                headers=list(headers),
            )
        except KafkaError as exc:
            raise TransportError(f"cannot publish to {topic}: {exc}") from exc

    def flush(self, timeout_s: float = 30.0) -> None:
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise TransportError(f"flush failed: {exc}") from exc

    def close(self) -> None:
        self._producer.close(timeout=5)


class KafkaEventConsumer:
    """A consumer-group member with auto-commit off: offsets move only after the effect.

    :meth:`commit` sends the offsets without waiting for the broker's answer (a synchronous
    commit held a Customer 360 worker's loop ~8 ms per batch, during which nothing was fetched or
    applied); :meth:`close` commits the last offsets synchronously. An offset commit lost in a
    crash only means redelivery, and every consumer of the Brain is idempotent on ``event_id``.
    """

    def __init__(
        self, bootstrap: str, client_id: str, group: str, topics: Iterable[str], topic_prefix: str = ""
    ) -> None:
        self._prefix = topic_prefix
        try:
            self._consumer = KafkaConsumer(
                *(topic_prefix + t for t in topics),
                bootstrap_servers=bootstrap,
                client_id=client_id,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=500,
                fetch_max_wait_ms=50,
                # a group joined before the topics' metadata arrived gets no partitions until the
                # next refresh (default 5 min): refresh within seconds instead
                metadata_max_age_ms=10_000,
            )
            for topic in topics:  # load the metadata now, before the first poll joins the group
                self._consumer.partitions_for_topic(topic_prefix + topic)
        except KafkaError as exc:
            raise TransportError(f"cannot connect to Kafka at {bootstrap}: {exc}") from exc
        self._pending: dict[TopicPartition, int] = {}
        #: the offsets sent by the latest asynchronous commit (made durable by :meth:`close`)
        self._sent: dict[TopicPartition, OffsetAndMetadata] = {}

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Record]:
        batches = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        out: list[Record] = []
        for tp, messages in batches.items():
            for m in messages:
                out.append(
                    Record(
                        m.topic[len(self._prefix) :],
                        m.partition,
                        m.offset,
                        m.key,
                        m.value,
                        tuple((k, v) for k, v in m.headers or ()),
                    )
                )
                self._pending[tp] = m.offset + 1
        return out

    def commit(self) -> None:
        if not self._pending:
            return
        offsets = {tp: OffsetAndMetadata(off, "", -1) for tp, off in self._pending.items()}
        self._consumer.commit_async(offsets=offsets, callback=_commit_answered)
        self._sent.update(offsets)
        self._pending.clear()

    def rewind(self) -> None:
        for tp in self._consumer.assignment():
            committed = self._consumer.committed(tp)
            if committed is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, committed)
        self._pending.clear()

    def close(self) -> None:
        # the last asynchronous commit made durable (partitions still assigned to this member)
        assigned = self._consumer.assignment()
        last = {tp: off for tp, off in self._sent.items() if tp in assigned}
        if last:
            try:
                self._consumer.commit(offsets=last, timeout_ms=5_000)
            except KafkaError as exc:  # redelivered to the next member: idempotent consumers
                log.warning("final offset commit failed: %s", exc)
        # bounded: leaving the group mid-rebalance must not hold a stopping worker for the
        # consumer's request timeout (minutes); the coordinator evicts a silent member anyway
        self._consumer.close(autocommit=False, timeout_ms=5_000)


def _commit_answered(offsets: dict[TopicPartition, OffsetAndMetadata], answer: object) -> None:
    """The broker's answer to an asynchronous commit (called from a later poll): a failure is
    logged; the next commit (cumulative) or a redelivery after a rebalance covers it."""
    if isinstance(answer, Exception):
        log.warning("offset commit of %d partition(s) failed: %s", len(offsets), answer)


class ReconnectingPublisher:
    """A publisher for processes that must keep serving while Kafka is down (the API).

    The producer is created on first use and re-created after a failure, at most once per
    ``retry_s``; meanwhile ``publish`` raises :class:`TransportError` at once instead of blocking.
    """

    def __init__(self, factory: Callable[[], KafkaEventPublisher], retry_s: float = 30.0) -> None:
        self._factory = factory
        self._retry_s = retry_s
        self._inner: KafkaEventPublisher | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def _producer(self) -> KafkaEventPublisher:
        with self._lock:
            if self._inner is not None:
                return self._inner
            if time.monotonic() < self._retry_at:
                raise TransportError("Kafka unavailable; next connection attempt later")
            try:
                self._inner = self._factory()
            except TransportError:
                self._retry_at = time.monotonic() + self._retry_s
                raise
            return self._inner

    def _failed(self) -> None:
        with self._lock:
            inner, self._inner = self._inner, None
            self._retry_at = time.monotonic() + self._retry_s
        if inner is not None:
            threading.Thread(target=inner.close, daemon=True).start()

    def publish(
        self, topic: str, value: bytes, key: str | None = None, headers: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        try:
            self._producer().publish(topic, value, key, headers)
        except TransportError:
            self._failed()
            raise

    def flush(self, timeout_s: float = 30.0) -> None:
        if self._inner is not None:
            try:
                self._inner.flush(timeout_s)
            except TransportError:
                self._failed()
                raise

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()

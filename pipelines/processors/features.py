"""Feature processor: events by GCID → streamed feature rows → Feast (online + offline).

* Transactions, logins, customer, account, fraud and risk events feed the catalog's streamed
  views (``CustomerActivity``): ``transaction_windows``, ``counterparty_novelty``,
  ``login_device``, ``customer_profile``, ``customer_risk``.
* An event whose customer has no GCID yet is parked (``unresolved_event``, with its topic) and
  released when its ``gcid.assigned`` arrives: nothing waits forever, nothing is lost.
* Identity changes re-key the aggregates. Every observation carries its source record
  (``(source_system, customer source key)``): ``gcid.merged`` moves the merged GCID's state under
  the survivor; ``gcid.split`` moves the split-off records' transactions, logins, profile and risk
  state to the new GCID, and both GCIDs' recomputed rows are pushed (online and offline) in the
  next flush. A split's rows replace any row of the same (view, GCID) still pending in the batch
  (they are computed after it), and the old GCID's views with nothing left get an empty row.
* Rows are buffered per polled batch and pushed once before the offsets are committed (Feast's
  offline write rewrites the Parquet file: micro-batches, not single rows).
* Online stores keep the row with the newest event time (Feast's Redis store ignores a row whose
  time is not newer). A late event changes the row as of the customer's latest instant without
  changing that instant, so a corrected row is stamped one microsecond after the last one pushed for
  the (view, GCID): the correction supersedes online, and offline it reads as "known from that instant".
* On start the windows are warmed from ``transaction_360``; the aggregators are idempotent on
  ``event_id``, so events seen both there and on the topic count once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select

from features import CustomerActivity, FeatureRow, FeatureWriter
from kernel.events import (
    AccountChanged,
    BrainEvent,
    CustomerChanged,
    CustomerScopedEvent,
    FraudAlertRaised,
    GcidAssigned,
    GcidMerged,
    GcidSplit,
    LoginAttempted,
    Topic,
    TransactionPosted,
    parse_event,
    source_customer_key,
    topic_of,
    utcnow,
)
from kernel.standardise import from_minor_units
from kernel.storage.schema import identity_record, transaction_360, unresolved_event

__all__ = ["FeaturesHandler"]

_REVISION = timedelta(microseconds=1)


class FeaturesHandler:
    name = "features"
    topics: tuple[str, ...] = (
        Topic.TRANSACTION.value,
        Topic.LOGIN.value,
        Topic.CUSTOMER.value,
        Topic.ACCOUNT.value,
        Topic.FRAUD.value,
        Topic.RISK.value,
        Topic.IDENTITY.value,
    )

    def __init__(
        self,
        engine: Engine,
        writer: FeatureWriter,
        activity: CustomerActivity | None = None,
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._activity = activity or CustomerActivity()
        self._pending_rows: dict[tuple[str, str], FeatureRow] = {}
        self._last_pushed_rows: dict[tuple[str, str], datetime] = {}

    @property
    def activity(self) -> CustomerActivity:
        return self._activity

    def warm(self, horizon: timedelta = timedelta(days=31)) -> int:
        """Load the recent transactions already in the Customer 360 into the windows."""
        since = utcnow() - horizon
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    identity_record.c.gcid,
                    transaction_360.c.occurred_at,
                    transaction_360.c.amount_minor,
                    transaction_360.c.currency,
                    transaction_360.c.event_id,
                    transaction_360.c.channel,
                    transaction_360.c.counterparty,
                    transaction_360.c.source_system,
                    transaction_360.c.customer_source_key,
                )
                .join(
                    identity_record,
                    (identity_record.c.source_system == transaction_360.c.source_system)
                    & (identity_record.c.source_key == transaction_360.c.customer_source_key),
                )
                .where(transaction_360.c.occurred_at > since, transaction_360.c.status == "posted")
                .order_by(transaction_360.c.occurred_at)
            ).all()
        for r in rows:
            amount = from_minor_units(r.amount_minor, r.currency)
            record = (r.source_system, r.customer_source_key)
            self._activity.observe_transaction(
                r.gcid,
                r.occurred_at,
                amount,
                r.event_id,
                channel=r.channel,
                counterparty=r.counterparty,
                record=record,
            )
        return len(rows)

    def handle(self, event: BrainEvent) -> None:
        if isinstance(event, GcidAssigned):
            self._release(event)
        elif isinstance(event, GcidMerged):
            self._stage_rows(
                self._activity.rekey(event.payload.merged, event.payload.survivor, event.occurred_at)
            )
        elif isinstance(event, GcidSplit):
            self._split(event)
        elif isinstance(event, CustomerScopedEvent):
            if isinstance(event, TransactionPosted) and event.payload.status != "posted":
                return
            self._customer_event(event)

    def flush(self) -> None:
        if self._pending_rows:
            feature_rows = []
            for frow in sorted(self._pending_rows.values(), key=lambda r: r.event_timestamp):
                key = (frow.view, frow.gcid)
                last = self._last_pushed_rows.get(key)
                if last is not None and frow.event_timestamp <= last:
                    frow = replace(frow, event_timestamp=last + _REVISION)
                feature_rows.append(frow)
            self._writer.push_rows(feature_rows)
            for frow in feature_rows:
                self._last_pushed_rows[(frow.view, frow.gcid)] = frow.event_timestamp
            self._pending_rows.clear()
        self._forget_expired()

    def _forget_expired(self) -> None:
        horizon = self._activity.horizon
        if horizon is not None and len(self._last_pushed_rows) > 100_000:
            self._last_pushed_rows = {k: t for k, t in self._last_pushed_rows.items() if t > horizon}

    def _split(self, event: GcidSplit) -> None:
        p = event.payload
        records = {(r.source_system, r.source_key) for r in p.records}
        self._stage_rows(
            self._activity.split(p.gcid, p.new_gcid, records, event.occurred_at), replace_pending=True
        )

    def _stage_rows(self, rows: list[FeatureRow], *, replace_pending: bool = False) -> None:
        for row in rows:
            current = self._pending_rows.get((row.view, row.gcid))
            if replace_pending or current is None or current.event_timestamp <= row.event_timestamp:
                self._pending_rows[(row.view, row.gcid)] = row

    @staticmethod
    def _gcid(conn: Connection, source_system: str, source_key: str) -> str | None:
        gcid: str | None = conn.execute(
            select(identity_record.c.gcid).where(
                identity_record.c.source_system == source_system,
                identity_record.c.source_key == source_key,
            )
        ).scalar_one_or_none()
        return gcid

    def _customer_event(self, event: CustomerScopedEvent) -> None:
        source_key = source_customer_key(event)
        with self._engine.begin() as conn:
            gcid = self._gcid(conn, event.source_system, source_key)
            if gcid is None:
                exists = conn.execute(
                    select(unresolved_event.c.event_id).where(
                        unresolved_event.c.consumer == self.name,
                        unresolved_event.c.event_id == event.event_id,
                    )
                ).first()
                if exists is None:
                    conn.execute(
                        insert(unresolved_event).values(
                            consumer=self.name,
                            event_id=event.event_id,
                            source_system=event.source_system,
                            customer_source_key=source_key,
                            topic=topic_of(event).value,
                            body=event.model_dump_json(),
                            parked_at=utcnow(),
                        )
                    )
                return
        self._observe(gcid, event)

    def _observe(self, gcid: str, event: CustomerScopedEvent) -> None:
        activity, at = self._activity, event.occurred_at
        record = (event.source_system, source_customer_key(event))
        if isinstance(event, TransactionPosted):
            p = event.payload
            rows = activity.observe_transaction(
                gcid,
                at,
                p.amount,
                event.event_id,
                channel=p.channel,
                counterparty=p.counterparty,
                record=record,
            )
        elif isinstance(event, LoginAttempted):
            lp = event.payload
            rows = activity.observe_login(
                gcid,
                at,
                event.event_id,
                success=lp.success,
                device=lp.device_id,
                location=lp.location,
                record=record,
            )
        elif isinstance(event, CustomerChanged):
            rows = activity.observe_customer(
                gcid, at, kyc_tier=event.payload.kyc_tier, segment=event.payload.segment, record=record
            )
        elif isinstance(event, AccountChanged):
            ap = event.payload
            rows = activity.observe_account(
                gcid,
                at,
                account_key=f"{event.source_system}:{event.source_key}",
                account_type=ap.account_type,
                is_open=ap.status in ("active", "dormant") and not ap.deleted,
                opened_on=ap.opened_on,
                record=record,
            )
        elif isinstance(event, FraudAlertRaised):
            rows = activity.observe_alert(
                gcid,
                at,
                alert_key=f"{event.source_system}:{event.source_key}",
                is_open=event.payload.status == "open",
                record=record,
            )
        else:
            rp = event.payload
            rows = activity.observe_risk(
                gcid, at, score_type=rp.score_type, score=rp.score, rating=rp.rating, record=record
            )
        self._stage_rows(rows)

    def _release(self, event: GcidAssigned) -> None:
        record = event.payload.record
        with self._engine.begin() as conn:
            rows = conn.execute(
                select(unresolved_event.c.event_id, unresolved_event.c.topic, unresolved_event.c.body).where(
                    unresolved_event.c.consumer == self.name,
                    unresolved_event.c.source_system == record.source_system,
                    unresolved_event.c.customer_source_key == record.source_key,
                )
            ).all()
            for row in sorted(rows, key=lambda r: parse_event(r.topic, r.body).occurred_at):
                parked = parse_event(row.topic, row.body)
                assert isinstance(parked, CustomerScopedEvent)
                self._observe(event.payload.gcid, parked)
            if rows:
                # the rows leave the table only once their effect is pushed: flush now, in this tx
                self.flush()
                conn.execute(
                    delete(unresolved_event).where(
                        unresolved_event.c.consumer == self.name,
                        unresolved_event.c.event_id.in_([r.event_id for r in rows]),
                    )
                )

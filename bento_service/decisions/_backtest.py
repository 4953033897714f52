"""Backtests: replay historical transactions through the same decision code.

Features are rebuilt point in time with the streaming aggregator itself: transactions are replayed
in time order (from 30 days before the period, the longest window) through
:class:`features.CustomerActivity`, and each is decided on the decision context the online store
would have served just before it (:func:`features.decision_context` of the rows of the GCID's
previous transaction, at the transaction's time: view ttl and windows elapsed as in serving).
Only transactions are replayed: login, profile and risk features read as null (stated in the
report). The profile is today's (the Customer 360 keeps no profile history yet — stated in the
report). Outcomes are compared with fraud labels and with the decisions actually served
(matched on the request's ``reference`` = the posting's transaction key).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from bento_service.decisions._engine import build_context
from bento_service.decisions._lookups import Profile, read_profile
from bento_service.decisions._ports import Scorer
from bento_service.schemas import TransactionDecisionRequest
from feature_repo.catalog import WINDOWS
from features import CustomerActivity, ViewRow, decision_context
from kernel.standardise import from_minor_units
from kernel.storage.schema import decision_log, identity_record, transaction_360
from models.decisioning import DecisionType, RuleSet, evaluate

__all__ = ["BacktestReport", "backtest"]

_DECIDED_TYPES = ("payment", "transfer", "withdrawal")
_FLAGGED = {"DECLINE", "REVIEW", "STEP_UP"}
_HISTORY = max(WINDOWS.values())
_SERVED_MARGIN = timedelta(hours=24)


@dataclass
class BacktestReport:
    rule_set_version: str
    start: datetime
    end: datetime
    decided: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    fraud_total: int = 0
    fraud_caught: int = 0
    flagged_legitimate: int = 0
    served_compared: int = 0
    served_changed: Counter[tuple[str, str]] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def fraud_missed(self) -> int:
        return self.fraud_total - self.fraud_caught

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_set_version": self.rule_set_version,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "decided": self.decided,
            "outcomes": dict(self.outcomes),
            "fraud": {"labelled": self.fraud_total, "caught": self.fraud_caught, "missed": self.fraud_missed},
            "legitimate_flagged": self.flagged_legitimate,
            "served": {
                "compared": self.served_compared,
                "changed": {f"{a}->{b}": n for (a, b), n in sorted(self.served_changed.items())},
            },
            "notes": self.notes,
        }


def _served(engine: Engine, start: datetime) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(decision_log.c.record, decision_log.c.outcome).where(
                decision_log.c.decision_type == "transaction",
                decision_log.c.decided_at >= start - _SERVED_MARGIN,  # a decision cannot precede its period
            )
        ).all()
    served: dict[tuple[str, str], str] = {}
    for row in rows:
        request = row.record.get("request", {})
        if request.get("reference") and request.get("source_system"):
            served[(request["source_system"], request["reference"])] = row.outcome
    return served


def backtest(
    engine: Engine,
    rule_set: RuleSet,
    start: datetime,
    end: datetime,
    *,
    fraud_labels: Iterable[tuple[str, str]] = (),
    scorer: Scorer | None = None,
) -> BacktestReport:
    if rule_set.decision_type is not DecisionType.TRANSACTION:
        raise ValueError("backtests replay transactions: give a transaction rule set")
    labels = set(fraud_labels)
    report = BacktestReport(rule_set.version, start, end)
    report.notes.append("profile attributes are as of today (no profile history yet)")
    report.notes.append("features from transactions only: login, profile and risk features read as null")
    served = _served(engine, start)
    activity = CustomerActivity(max_lateness=timedelta(0))
    rows_of: dict[str, dict[str, ViewRow]] = {}  # gcid -> the rows its latest transaction produced
    profiles: dict[str, Profile] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(transaction_360, identity_record.c.gcid)
            .join(
                identity_record,
                (identity_record.c.source_system == transaction_360.c.source_system)
                & (identity_record.c.source_key == transaction_360.c.customer_source_key),
                isouter=True,
            )
            .where(
                transaction_360.c.occurred_at >= start - _HISTORY,
                transaction_360.c.occurred_at < end,
                transaction_360.c.status == "posted",
            )
            .order_by(transaction_360.c.occurred_at, transaction_360.c.transaction_key)
        )
        for row in rows:
            amount = from_minor_units(row.amount_minor, row.currency)
            gcid: str | None = row.gcid
            if row.occurred_at >= start and row.direction == "debit" and row.txn_type in _DECIDED_TYPES:
                if gcid is not None and gcid not in profiles:
                    profiles[gcid] = read_profile(conn, gcid)
                features = decision_context(gcid, rows_of.get(gcid, {}), row.occurred_at) if gcid else None
                request = TransactionDecisionRequest(
                    source_system=row.source_system,
                    customer_source_key=row.customer_source_key,
                    account_key=row.account_key,
                    reference=row.transaction_key,
                    amount=amount,
                    currency=row.currency,
                    txn_type=row.txn_type,
                    channel=row.channel,
                    counterparty=row.counterparty,
                    device_id=row.device_id,
                    location=row.location,
                )
                score = None
                if scorer is not None:
                    score = scorer.score(dict(features.values) if features else {})
                profile = profiles.get(gcid) if gcid else None
                result = evaluate(rule_set, build_context(request, gcid, profile, features, score, False))
                report.decided += 1
                report.outcomes[result.outcome] += 1
                key = (row.source_system, row.transaction_key)
                flagged = result.outcome in _FLAGGED
                if key in labels:
                    report.fraud_total += 1
                    report.fraud_caught += int(flagged)
                elif flagged:
                    report.flagged_legitimate += 1
                if key in served:
                    report.served_compared += 1
                    if served[key] != result.outcome:
                        report.served_changed[(served[key], result.outcome)] += 1
            if gcid is not None:
                produced = activity.observe_transaction(
                    gcid,
                    row.occurred_at,
                    amount,
                    row.event_id,
                    channel=row.channel,
                    counterparty=row.counterparty,
                )
                rows_of[gcid] = {r.view: (r.event_timestamp, r.values) for r in produced}
    return report

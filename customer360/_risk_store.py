"""The ``risk_profile`` row of a GCID, recomputed from its member records' risk inputs."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, tuple_

from customer360._risk import DEFAULT_RISK_POLICY, AlertInput, RiskInputs, RiskPolicy, SignalInput
from kernel.storage.schema import channel_activity, fraud_alert, identity_record, risk_signal

__all__ = ["member_refs", "refresh_risk", "risk_inputs"]


def member_refs(conn: Connection, gcid: str) -> list[tuple[str, str]]:
    """The source records ``(source_system, source_key)`` that resolve to ``gcid`` now."""
    rows = conn.execute(
        select(identity_record.c.source_system, identity_record.c.source_key).where(
            identity_record.c.gcid == gcid
        )
    ).all()
    return sorted((r.source_system, r.source_key) for r in rows)


def risk_inputs(conn: Connection, refs: list[tuple[str, str]]) -> RiskInputs:
    if not refs:
        return RiskInputs()
    alerts = conn.execute(
        select(fraud_alert.c.severity, fraud_alert.c.status, fraud_alert.c.source_updated_at).where(
            tuple_(fraud_alert.c.source_system, fraud_alert.c.customer_source_key).in_(refs)
        )
    ).all()
    signals = conn.execute(
        select(risk_signal).where(
            tuple_(risk_signal.c.source_system, risk_signal.c.customer_source_key).in_(refs)
        )
    ).all()
    logins = conn.execute(
        select(func.sum(channel_activity.c.failed_logins), func.max(channel_activity.c.last_seen)).where(
            tuple_(channel_activity.c.source_system, channel_activity.c.customer_source_key).in_(refs),
            channel_activity.c.failed_logins > 0,
        )
    ).first()
    failed = int(logins[0] or 0) if logins is not None else 0
    last_failed_at = logins[1] if logins is not None and failed else None
    return RiskInputs(
        alerts=tuple(AlertInput(a.severity, a.status, a.source_updated_at) for a in alerts),
        signals=tuple(
            SignalInput(
                s.score_type,
                s.score,
                s.rating,
                s.source_updated_at,
                f"{s.source_system}:{s.customer_source_key}",
            )
            for s in signals
        ),
        failed_logins=failed,
        logins_at=last_failed_at,
    )


def refresh_risk(conn: Connection, gcid: str, policy: RiskPolicy = DEFAULT_RISK_POLICY) -> None:
    """Recompute ``risk_profile`` of ``gcid``; no evidence (or no members) → no row."""
    from customer360._refresh import refresh_gcids

    refresh_gcids(conn, [], [gcid], risk_policy=policy)

"""Recompute the per-GCID rows (golden record, lookup keys, risk profile) of many GCIDs at once.

A handful of queries for the whole set: members from ``identity_record``, their inputs, then one
delete and one multi-row insert per table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, delete, insert, select, tuple_

from customer360._risk import DEFAULT_RISK_POLICY, AlertInput, RiskInputs, RiskPolicy, SignalInput, score_risk
from customer360._survivorship import (
    DEFAULT_POLICY,
    GoldenRecord,
    SourceCustomer,
    SurvivorshipPolicy,
    golden_record,
)
from kernel.events import CustomerPayload
from kernel.storage.schema import (
    channel_activity,
    customer_360,
    customer_360_key,
    customer_source_record,
    fraud_alert,
    identity_record,
    risk_profile,
    risk_signal,
)

__all__ = ["refresh_gcids"]

_CHUNK = 500
Ref = tuple[str, str]


def _members(conn: Connection, gcids: list[str]) -> dict[str, list[Ref]]:
    out: dict[str, list[Ref]] = defaultdict(list)
    for i in range(0, len(gcids), _CHUNK):
        rows = conn.execute(
            select(
                identity_record.c.gcid, identity_record.c.source_system, identity_record.c.source_key
            ).where(identity_record.c.gcid.in_(gcids[i : i + _CHUNK]))
        ).all()
        for g, s, k in rows:
            out[g].append((s, k))
    return out


def _by_refs(conn: Connection, table: Any, cols: tuple[str, str], refs: list[Ref], *where: Any) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(refs), _CHUNK):
        clause = tuple_(table.c[cols[0]], table.c[cols[1]]).in_(refs[i : i + _CHUNK])
        out.extend(conn.execute(select(table).where(clause, *where)).all())
    return out


def _golden_row(g: GoldenRecord) -> dict[str, Any]:
    return {
        "gcid": g.gcid,
        "customer_type": g.customer_type,
        "full_name": g.full_name,
        "first_name": g.first_name,
        "middle_name": g.middle_name,
        "last_name": g.last_name,
        "gender": g.gender,
        "date_of_birth": g.date_of_birth,
        "national_id": g.national_id,
        "national_ids": list(g.national_ids),
        "kra_pin": g.kra_pin,
        "phones": list(g.phones),
        "emails": list(g.emails),
        "address": g.address,
        "addresses": list(g.addresses),
        "kyc_tier": g.kyc_tier,
        "kyc_status": g.kyc_status,
        "segment": g.segment,
        "pep": g.pep,
        "sanctioned": g.sanctioned,
        "attribute_sources": g.attribute_sources,
        "source_records": list(g.source_records),
        "policy_version": g.policy_version,
        "updated_at": g.as_of,
    }


def _delete(conn: Connection, table: Any, gcids: list[str]) -> None:
    for i in range(0, len(gcids), _CHUNK):
        conn.execute(delete(table).where(table.c.gcid.in_(gcids[i : i + _CHUNK])))


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), 2000):
        conn.execute(insert(table), rows[i : i + 2000])


def refresh_gcids(
    conn: Connection,
    golden: Collection[str],
    risk: Collection[str],
    policy: SurvivorshipPolicy = DEFAULT_POLICY,
    risk_policy: RiskPolicy = DEFAULT_RISK_POLICY,
) -> None:
    """Recompute the golden record + keys of ``golden`` and the risk profile of ``risk``.

    A GCID with no member records (merged away, or not yet known) ends with no rows.
    """
    golden_ids, risk_ids = sorted(set(golden)), sorted(set(risk))
    members = _members(conn, sorted(set(golden_ids) | set(risk_ids)))
    if golden_ids:
        refs = sorted({r for g in golden_ids for r in members.get(g, [])})
        records = {
            (r.source_system, r.source_key): r
            for r in _by_refs(conn, customer_source_record, ("source_system", "source_key"), refs)
        }
        rows, keys = [], []
        for gcid in golden_ids:
            held = [records[r] for r in members.get(gcid, []) if r in records]
            if not held:
                continue
            sources = [
                SourceCustomer(
                    r.source_system,
                    r.source_key,
                    r.source_updated_at,
                    CustomerPayload.model_validate(r.payload),
                    r.deleted,
                )
                for r in held
            ]
            g = golden_record(gcid, sources, policy)
            rows.append(_golden_row(g))
            found = {("national_id", v) for v in g.national_ids}
            found |= {("phone", v) for v in g.phones} | {("email", v) for v in g.emails}
            found |= {("source_key", r.source_key) for r in held}
            keys += [{"key_type": t, "key_value": v[:256], "gcid": gcid} for t, v in sorted(found)]
        _delete(conn, customer_360_key, golden_ids)
        _delete(conn, customer_360, golden_ids)
        _insert(conn, customer_360, rows)
        _insert(conn, customer_360_key, keys)
    if risk_ids:
        owner = {r: g for g in risk_ids for r in members.get(g, [])}
        refs = sorted(owner)
        alerts: dict[str, list[AlertInput]] = defaultdict(list)
        for a in _by_refs(conn, fraud_alert, ("source_system", "customer_source_key"), refs):
            alerts[owner[(a.source_system, a.customer_source_key)]].append(
                AlertInput(a.severity, a.status, a.source_updated_at)
            )
        signals: dict[str, list[SignalInput]] = defaultdict(list)
        for s in _by_refs(conn, risk_signal, ("source_system", "customer_source_key"), refs):
            signals[owner[(s.source_system, s.customer_source_key)]].append(
                SignalInput(
                    s.score_type,
                    s.score,
                    s.rating,
                    s.source_updated_at,
                    f"{s.source_system}:{s.customer_source_key}",
                )
            )
        failed: dict[str, tuple[int, Any]] = {}
        for c in _by_refs(
            conn,
            channel_activity,
            ("source_system", "customer_source_key"),
            refs,
            channel_activity.c.failed_logins > 0,
        ):
            who = owner[(c.source_system, c.customer_source_key)]
            count, last = failed.get(who, (0, None))
            failed[who] = (count + c.failed_logins, c.last_seen if last is None else max(last, c.last_seen))
        profiles = []
        for gcid in risk_ids:
            count, last = failed.get(gcid, (0, None))
            score = score_risk(
                RiskInputs(tuple(alerts[gcid]), tuple(signals[gcid]), count, last), risk_policy
            )
            if score.as_of is None:
                continue
            profiles.append(
                {
                    "gcid": gcid,
                    "score": score.score,
                    "level": score.level,
                    "components": score.components,
                    "open_alerts": score.open_alerts,
                    "policy_version": score.policy_version,
                    "as_of": score.as_of,
                }
            )
        _delete(conn, risk_profile, risk_ids)
        _insert(conn, risk_profile, profiles)

"""Operator APIs of the identity graph: read a GCID, explain a link, look up, merge, split.

Reads need ``identity:read``; merge and split need ``identity:write`` and a reason, and are
recorded in the identity lineage with the caller as ``decided_by``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, select

from bento_service.auth import Principal, Scope, require_scope
from bento_service.deps import Deps, request_verifier
from bento_service.errors import BadRequest, NotFound
from identity import IdentityRecord, Scorer, SourceRecordRef, fields_of
from identity import load_settings as load_identity_settings
from identity.errors import UnknownGcid
from kernel.standardise import StandardisationError, phone_e164
from kernel.standardise import email as std_email
from kernel.standardise import national_id as std_national_id
from kernel.storage.schema import identity_key, identity_lineage, identity_record
from pipelines.identity_graph import SqlIdentityGraph, operator_merge, operator_split

__all__ = ["router"]

router = APIRouter(prefix="/identity", tags=["identity"])

Reader = Annotated[Principal, Depends(require_scope(request_verifier, Scope.IDENTITY_READ))]
Writer = Annotated[Principal, Depends(require_scope(request_verifier, Scope.IDENTITY_WRITE))]
Gcid = Annotated[str, Path(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown GCID (problem details)"}}


class SourceRecordOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    source_system: str
    source_key: str
    attributes: dict[str, Any] = Field(default_factory=dict)


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    gcid: str
    other_gcid: str | None
    decided_by: str
    settings_version: str
    reason: str | None
    at: datetime


class IdentityView(BaseModel):
    model_config = ConfigDict(frozen=True)

    gcid: str
    requested: str
    merged: bool = Field(description="The requested GCID was merged into ``gcid``")
    records: list[SourceRecordOut]
    golden: dict[str, Any]
    history: list[HistoryEntry]


class EvidenceOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    comparison: str
    level: str
    weight: float


class PairExplanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    record: SourceRecordOut
    other: SourceRecordOut
    is_match: bool
    probability: float | None
    evidence: list[EvidenceOut]
    excluded_by: str | None = Field(default=None, description="Exclusion forbidding the link, if any")


class Explanation(BaseModel):
    model_config = ConfigDict(frozen=True)

    gcid: str
    other: str
    matcher: str
    pairs: list[PairExplanation]


class LookupResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    matched_on: str
    gcids: list[str]


class MergeRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    gcids: Annotated[list[str], Field(min_length=2, max_length=2)]
    reason: Annotated[str, Field(min_length=3, max_length=1000)]


class RecordRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source_system: str
    source_key: str


class SplitRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    gcid: str
    records: Annotated[list[RecordRef], Field(min_length=1)]
    reason: Annotated[str, Field(min_length=3, max_length=1000)]


class ChangeResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str
    gcid: str
    other_gcid: str
    records: list[RecordRef]


def _members(conn: Connection, gcid: str) -> list[IdentityRecord]:
    rows = conn.execute(
        select(identity_record.c.source_system, identity_record.c.source_key, identity_record.c.attributes)
        .where(identity_record.c.gcid == gcid)
        .order_by(identity_record.c.source_system, identity_record.c.source_key)
    ).all()
    return [
        IdentityRecord.from_json(SourceRecordRef(r.source_system, r.source_key), r.attributes) for r in rows
    ]


def _out(r: IdentityRecord) -> SourceRecordOut:
    return SourceRecordOut(
        source_system=r.ref.source_system, source_key=r.ref.source_key, attributes=r.to_json()
    )


def _golden(records: list[IdentityRecord]) -> dict[str, Any]:
    """Most frequent non-empty value of each attribute (ties: the first record's)."""
    out: dict[str, Any] = {}
    for attr in ("first_name", "last_name", "name", "date_of_birth", "national_id"):
        values = [r.to_json()[attr] for r in records if r.to_json()[attr]]
        if values:
            out[attr] = Counter(values).most_common(1)[0][0]
    for attr in ("phones", "emails", "device_ids"):
        out[attr] = sorted({v for r in records for v in r.to_json()[attr]})
    return out


def _live(conn: Connection, gcid: str) -> str:
    live = SqlIdentityGraph(conn).survivor(gcid)
    if live is None:
        raise NotFound(f"GCID {gcid} does not exist")
    return live


@lru_cache(maxsize=4)
def _scorer(path: FilePath | None) -> Scorer:
    return Scorer(load_identity_settings(path))


@router.get(
    "/lookup", response_model=LookupResult, summary="GCIDs by source key, national id, phone or email"
)
def lookup(
    principal: Reader,
    deps: Deps,
    source_system: str | None = None,
    source_key: str | None = None,
    national_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> LookupResult:
    """Exactly one of: ``source_system`` + ``source_key``, ``national_id``, ``phone``, ``email``."""
    given = [k for k, v in (("national_id", national_id), ("phone", phone), ("email", email)) if v]
    if source_system or source_key:
        given.append("source_key")
    if len(given) != 1 or (given == ["source_key"] and not (source_system and source_key)):
        raise BadRequest("give exactly one of source_system+source_key, national_id, phone, email")
    with deps.engine.connect() as conn:
        if given == ["source_key"]:
            rows = conn.execute(
                select(identity_record.c.gcid).where(
                    identity_record.c.source_system == source_system,
                    identity_record.c.source_key == source_key,
                )
            ).all()
            gcids = {r.gcid for r in rows}
        else:
            kind = given[0]
            value = {"national_id": national_id, "phone": phone, "email": email}[kind] or ""
            std = {"national_id": std_national_id, "phone": phone_e164, "email": std_email}[kind]
            try:
                value = std(value)
            except StandardisationError as exc:
                raise BadRequest(f"{kind}: {exc}") from None
            refs = conn.execute(
                select(identity_record.c.gcid)
                .join(
                    identity_key,
                    (identity_key.c.source_system == identity_record.c.source_system)
                    & (identity_key.c.source_key == identity_record.c.source_key),
                )
                .where(identity_key.c.key_type == kind, identity_key.c.key_value == value)
            ).all()
            gcids = {r.gcid for r in refs}
    return LookupResult(matched_on=given[0], gcids=sorted(gcids))


@router.get(
    "/{gcid}",
    response_model=IdentityView,
    summary="Member records, golden attributes, history",
    responses=_NOT_FOUND,
)
def read_identity(gcid: Gcid, principal: Reader, deps: Deps) -> IdentityView:
    with deps.engine.connect() as conn:
        live = _live(conn, gcid)
        members = _members(conn, live)
        rows = conn.execute(
            select(identity_lineage)
            .where(
                (identity_lineage.c.gcid.in_([live, gcid]))
                | (identity_lineage.c.other_gcid.in_([live, gcid]))
            )
            .order_by(identity_lineage.c.seq)
        ).all()
    history = [
        HistoryEntry(
            kind=r.kind,
            gcid=r.gcid,
            other_gcid=r.other_gcid,
            decided_by=r.decided_by,
            settings_version=r.settings_version,
            reason=(r.detail.get("event") or {}).get("payload", {}).get("reason"),
            at=r.at,
        )
        for r in rows
    ]
    return IdentityView(
        gcid=live,
        requested=gcid,
        merged=live != gcid,
        records=[_out(m) for m in members],
        golden=_golden(members),
        history=history,
    )


@router.get(
    "/{gcid}/explain",
    response_model=Explanation,
    summary="Per-comparison evidence for why two GCIDs' records are or are not linked",
    responses=_NOT_FOUND,
)
def explain(
    gcid: Gcid,
    principal: Reader,
    deps: Deps,
    other: Annotated[str, Query(alias="with", min_length=4, max_length=40)],
) -> Explanation:
    scorer = _scorer(deps.settings.identity_settings_path)
    with deps.engine.connect() as conn:
        a, b = _live(conn, gcid), _live(conn, other)
        left, right = _members(conn, a), _members(conn, b)
    pairs = []
    for x in left:
        for y in right:
            if x.ref == y.ref:
                continue
            e = scorer.explain(fields_of(x, y), fields_of(y, x))
            ev = [EvidenceOut(comparison=c.comparison, level=c.level, weight=c.weight) for c in e.evidence]
            pairs.append(
                PairExplanation(
                    record=_out(x),
                    other=_out(y),
                    is_match=e.is_match,
                    probability=e.probability,
                    evidence=ev,
                    excluded_by=e.excluded_by,
                )
            )
    matcher = scorer.settings.settings_version
    return Explanation(gcid=a, other=b, matcher=matcher, pairs=pairs)


def _change(engine: Engine, run: Any) -> Any:
    try:
        with engine.begin() as conn:
            return run(conn)
    except UnknownGcid as exc:
        raise NotFound(exc.detail) from None


@router.post("/merge", response_model=ChangeResult, summary="Merge two GCIDs (the older survives)")
def merge(body: MergeRequest, principal: Writer, deps: Deps) -> ChangeResult:
    a, b = body.gcids
    out = _change(
        deps.engine, lambda conn: operator_merge(conn, a, b, body.reason, f"operator:{principal.subject}")
    )
    p = out.payload
    return ChangeResult(
        event_id=out.event_id,
        gcid=p.survivor,
        other_gcid=p.merged,
        records=[RecordRef(source_system=r.source_system, source_key=r.source_key) for r in p.records],
    )


@router.post("/split", response_model=ChangeResult, summary="Move records out of a GCID under a new GCID")
def split(body: SplitRequest, principal: Writer, deps: Deps) -> ChangeResult:
    refs = [SourceRecordRef(r.source_system, r.source_key) for r in body.records]
    out = _change(
        deps.engine,
        lambda conn: operator_split(conn, body.gcid, refs, body.reason, f"operator:{principal.subject}"),
    )
    p = out.payload
    return ChangeResult(
        event_id=out.event_id,
        gcid=p.gcid,
        other_gcid=p.new_gcid,
        records=[RecordRef(source_system=r.source_system, source_key=r.source_key) for r in p.records],
    )

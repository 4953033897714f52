"""The golden record: each attribute chosen by a declared survivorship policy.

For every attribute, among the live source records that have a value: the most trusted source
wins, then the most recent change, then the most complete value. Phones and emails are the union,
most trusted first. The policy is data (:class:`SurvivorshipPolicy`), not code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kernel.events import CustomerPayload

__all__ = ["DEFAULT_POLICY", "GoldenRecord", "SourceCustomer", "SurvivorshipPolicy", "golden_record"]


@dataclass(frozen=True, slots=True)
class SurvivorshipPolicy:
    version: str
    #: Source systems, most trusted first; unknown systems rank after all listed ones.
    trust_order: tuple[str, ...]

    def rank(self, source_system: str) -> int:
        try:
            return self.trust_order.index(source_system)
        except ValueError:
            return len(self.trust_order)


#: Core banking CIFs first (v5 is the richest KYC), then agency, open banking, global, CRM.
DEFAULT_POLICY = SurvivorshipPolicy(
    version="survivorship-1",
    trust_order=("v5", "v1_core", "identity_intel", "dfs", "openbanking", "global", "crm"),
)


@dataclass(frozen=True, slots=True)
class SourceCustomer:
    source_system: str
    source_key: str
    occurred_at: datetime
    payload: CustomerPayload
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class GoldenRecord:
    gcid: str
    customer_type: str
    full_name: str | None
    date_of_birth: date | None
    national_id: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    address: str | None
    kyc_tier: int | None
    kyc_status: str | None
    segment: str | None
    pep: bool | None
    sanctioned: bool | None
    attribute_sources: dict[str, dict[str, str]] = field(default_factory=dict)
    source_records: tuple[str, ...] = ()
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    gender: str | None = None
    kra_pin: str | None = None
    #: Every distinct value of the live records, most trusted (then most recent) first.
    national_ids: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    #: Newest source change among the member records (the record's data freshness).
    as_of: datetime | None = None
    policy_version: str = ""


def _full_name(p: CustomerPayload) -> str | None:
    parts = [x for x in (p.first_name, p.middle_name, p.last_name) if x]
    return " ".join(parts) if parts else p.full_name


def _address(p: CustomerPayload) -> str | None:
    return ", ".join(x for x in (p.address, p.city) if x) or None


def _completeness(value: Any) -> int:
    return len(str(value))


_ATTRIBUTES: dict[str, Callable[[CustomerPayload], Any]] = {
    "customer_type": lambda p: p.customer_type,
    "full_name": _full_name,
    "date_of_birth": lambda p: p.date_of_birth,
    "gender": lambda p: p.gender,
    "kra_pin": lambda p: p.kra_pin,
    "national_id": lambda p: p.national_id,
    "address": _address,
    "kyc_tier": lambda p: p.kyc_tier,
    "kyc_status": lambda p: p.kyc_status,
    "segment": lambda p: p.segment,
    "pep": lambda p: p.pep,
    "sanctioned": lambda p: p.sanctioned,
}


def golden_record(
    gcid: str, sources: Sequence[SourceCustomer], policy: SurvivorshipPolicy = DEFAULT_POLICY
) -> GoldenRecord:
    live = [s for s in sources if not s.deleted]
    ordered = sorted(
        live,
        key=lambda s: (
            policy.rank(s.source_system),
            -s.occurred_at.timestamp(),
            s.source_system,
            s.source_key,
        ),
    )
    chosen: dict[str, Any] = {}
    lineage: dict[str, dict[str, str]] = {}
    for name, getter in _ATTRIBUTES.items():
        candidates = [(s, getter(s.payload)) for s in ordered]
        candidates = [(s, v) for s, v in candidates if v is not None]
        if not candidates:
            chosen[name] = None
            continue
        best_rank = (policy.rank(candidates[0][0].source_system), -candidates[0][0].occurred_at.timestamp())
        tied = [
            (s, v)
            for s, v in candidates
            if (policy.rank(s.source_system), -s.occurred_at.timestamp()) == best_rank
        ]
        source, value = max(tied, key=lambda sv: _completeness(sv[1]))
        chosen[name] = value
        lineage[name] = {
            "source": f"{source.source_system}:{source.source_key}",
            "as_of": source.occurred_at.isoformat(),
        }
    phones = tuple(dict.fromkeys(p for s in ordered for p in s.payload.phones))
    emails = tuple(dict.fromkeys(e for s in ordered for e in s.payload.emails))
    national_ids = tuple(dict.fromkeys(s.payload.national_id for s in ordered if s.payload.national_id))
    addresses = tuple(dict.fromkeys(a for a in (_address(s.payload) for s in ordered) if a))
    # the name parts travel together with the full name they compose (never mixed across records)
    name_source = lineage.get("full_name", {}).get("source")
    name_from = next((s for s in ordered if f"{s.source_system}:{s.source_key}" == name_source), None)
    if name_from is not None:
        for part in ("first_name", "middle_name", "last_name"):
            if getattr(name_from.payload, part):
                lineage[part] = lineage["full_name"]
    return GoldenRecord(
        gcid=gcid,
        customer_type=chosen["customer_type"] or "person",
        full_name=chosen["full_name"],
        date_of_birth=chosen["date_of_birth"],
        national_id=chosen["national_id"],
        phones=phones,
        emails=emails,
        address=chosen["address"],
        kyc_tier=chosen["kyc_tier"],
        kyc_status=chosen["kyc_status"],
        segment=chosen["segment"],
        pep=chosen["pep"],
        sanctioned=chosen["sanctioned"],
        attribute_sources=lineage,
        source_records=tuple(sorted(f"{s.source_system}:{s.source_key}" for s in sources)),
        first_name=name_from.payload.first_name if name_from else None,
        middle_name=name_from.payload.middle_name if name_from else None,
        last_name=name_from.payload.last_name if name_from else None,
        gender=chosen["gender"],
        kra_pin=chosen["kra_pin"],
        national_ids=national_ids,
        addresses=addresses,
        as_of=max((s.occurred_at for s in sources), default=None),
        policy_version=policy.version,
    )

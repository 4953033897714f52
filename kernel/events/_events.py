"""Concrete events: an envelope, a literal ``event_type`` and a typed payload."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kernel.events._envelope import EventEnvelope
from kernel.events._payloads import (
    AccountPayload,
    CustomerPayload,
    FraudAlertPayload,
    LoginPayload,
    RiskScorePayload,
    TransactionPayload,
)

__all__ = [
    "AccountChanged",
    "GcidAssignedPayload",
    "GcidMergedPayload",
    "GcidSplitPayload",
    "CustomerChanged",
    "DecisionMade",
    "DecisionPayload",
    "FraudAlertRaised",
    "GcidAssigned",
    "GcidMerged",
    "GcidSplit",
    "IdentityEvidence",
    "LoginAttempted",
    "RiskScoreUpdated",
    "SourceRef",
    "TransactionPosted",
]


class CustomerChanged(EventEnvelope):
    event_type: Literal["customer.changed"] = "customer.changed"
    payload: CustomerPayload


class AccountChanged(EventEnvelope):
    event_type: Literal["account.changed"] = "account.changed"
    payload: AccountPayload


class TransactionPosted(EventEnvelope):
    event_type: Literal["transaction.posted"] = "transaction.posted"
    payload: TransactionPayload


class LoginAttempted(EventEnvelope):
    event_type: Literal["login.attempted"] = "login.attempted"
    payload: LoginPayload


class FraudAlertRaised(EventEnvelope):
    event_type: Literal["fraud.alert"] = "fraud.alert"
    payload: FraudAlertPayload


class RiskScoreUpdated(EventEnvelope):
    event_type: Literal["risk.score"] = "risk.score"
    payload: RiskScorePayload


# --- identity.events -----------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(_Frozen):
    source_system: str
    source_key: str


class IdentityEvidence(_Frozen):
    """One piece of evidence behind an identity decision (e.g. ``national_id`` equal)."""

    attribute: str
    level: str
    weight: float = 0.0
    other: SourceRef | None = None


class _IdentityPayload(_Frozen):
    settings_version: str
    decided_by: str = Field(description="'resolver' or an operator's subject")
    reason: str | None = None


class GcidAssignedPayload(_IdentityPayload):
    gcid: str
    record: SourceRef
    previous_gcid: str | None = None
    evidence: tuple[IdentityEvidence, ...] = ()
    match_probability: Annotated[float, Field(ge=0, le=1)] | None = None


class GcidMergedPayload(_IdentityPayload):
    survivor: str
    merged: str
    records: tuple[SourceRef, ...]
    evidence: tuple[IdentityEvidence, ...] = ()


class GcidSplitPayload(_IdentityPayload):
    gcid: str
    new_gcid: str
    records: tuple[SourceRef, ...]


class GcidAssigned(EventEnvelope):
    event_type: Literal["gcid.assigned"] = "gcid.assigned"
    payload: GcidAssignedPayload


class GcidMerged(EventEnvelope):
    event_type: Literal["gcid.merged"] = "gcid.merged"
    payload: GcidMergedPayload


class GcidSplit(EventEnvelope):
    event_type: Literal["gcid.split"] = "gcid.split"
    payload: GcidSplitPayload


# --- decision.events -----------------------------------------------------------------------------


class DecisionPayload(_Frozen):
    decision_id: str
    decision_type: Literal["transaction", "login", "credit"]
    gcid: str | None
    outcome: str
    reason_codes: tuple[str, ...]
    rule_set_version: str
    model_version: str | None = None
    score: float | None = None
    amount: Decimal | None = None
    currency: str | None = None
    degraded: bool = False
    latency_ms: float
    decided_at: datetime
    record_hash: str


class DecisionMade(EventEnvelope):
    event_type: Literal["decision.made"] = "decision.made"
    payload: DecisionPayload

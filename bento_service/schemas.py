"""Request and response schemas of the HTTP API (the OpenAPI contract)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from customer360 import CustomerView, TransactionView
from kernel.events import Channel

__all__ = [
    "CreditDecisionRequest",
    "DecisionRecord",
    "CustomerResponse",
    "DecisionRequest",
    "DecisionResponse",
    "FeatureValues",
    "LoginDecisionRequest",
    "Reason",
    "TransactionDecisionRequest",
]


def _with_example(example: JsonDict) -> ConfigDict:
    """Frozen, strict request models that carry one OpenAPI example."""
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [example]})


class _Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeatureValues(_Schema):
    txn_count_24h: int | None = Field(description="Posted transactions in the 24 h before the latest one")
    txn_amount_sum_24h: float | None = Field(description="Their total, in major currency units")
    as_of: datetime | None = Field(description="Event time of the feature row (None: no features)")


class CustomerResponse(_Schema):
    customer: CustomerView
    features: FeatureValues
    recent_transactions: list[TransactionView]


class _WhoRequest(_Schema):
    """The caller identifies the customer by GCID, or by its own system and customer key."""

    gcid: str | None = Field(default=None, max_length=40)
    source_system: Annotated[str, Field(max_length=64)] | None = None
    customer_source_key: Annotated[str, Field(max_length=256)] | None = None

    @model_validator(mode="after")
    def _who(self) -> _WhoRequest:
        if self.gcid is None and not (self.source_system and self.customer_source_key):
            raise ValueError("give either gcid, or source_system and customer_source_key")
        return self


class TransactionDecisionRequest(_WhoRequest):
    """A payment, transfer or withdrawal about to be executed."""

    model_config = _with_example(
        {
            "source_system": "v5",
            "customer_source_key": "CUST-0000042",
            "account_key": "V5-AC-0000101",
            "amount": "2500.00",
            "currency": "KES",
            "txn_type": "payment",
            "channel": "mpesa",
            "counterparty": "254712345678",
            "device_id": "dev-CUST-0000042",
        }
    )

    account_key: str | None = None
    reference: str | None = Field(
        default=None,
        max_length=256,
        description="The caller's transaction key (links the decision to the posting)",
    )
    amount: Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=3)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    txn_type: Literal["payment", "transfer", "withdrawal"]
    channel: Channel
    counterparty: str | None = Field(default=None, max_length=256)
    device_id: str | None = Field(default=None, max_length=128)
    location: str | None = Field(default=None, max_length=128)


class LoginDecisionRequest(_WhoRequest):
    """A sign-in on a digital channel, before the session is granted."""

    model_config = _with_example(
        {
            "source_system": "v5",
            "customer_source_key": "CUST-0000042",
            "channel": "mobile",
            "device_id": "dev-CUST-0000042",
            "ip_address": "196.201.214.10",
        }
    )

    channel: Channel
    device_id: str | None = Field(default=None, max_length=128)
    ip_address: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=128)


class CreditDecisionRequest(_WhoRequest):
    """A digital-loan application: pre-approval and limit."""

    model_config = _with_example(
        {
            "source_system": "v5",
            "customer_source_key": "CUST-0000042",
            "product": "mobile_loan",
            "amount": "25000.00",
            "currency": "KES",
            "term_days": 30,
        }
    )

    product: Literal["mobile_loan", "personal_loan", "overdraft", "asset_finance"]
    amount: Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=3)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    term_days: Annotated[int, Field(ge=1, le=3650)] = 30


DecisionRequest = TransactionDecisionRequest | LoginDecisionRequest | CreditDecisionRequest


class Reason(_Schema):
    code: str = Field(examples=["AMOUNT_HIGH"])
    text: str


class DecisionResponse(_Schema):
    decision_id: str
    decision_type: Literal["transaction", "login", "credit"]
    outcome: Literal["APPROVE", "REVIEW", "STEP_UP", "DECLINE", "ALLOW", "DENY"]
    gcid: str | None
    reasons: list[Reason]
    fired_rules: list[str]
    scores: dict[str, float] = Field(default_factory=dict)
    rule_set_version: str
    model_version: str | None = None
    limit: int | None = Field(
        default=None, description="Credit: the pre-approved limit in the request currency"
    )
    degraded: bool = False
    degraded_causes: list[str] = Field(default_factory=list, description="Dependencies that were unavailable")
    features: FeatureValues
    decided_at: datetime
    latency_ms: float
    record_hash: str = Field(description="Hash-chain link of the log record ('' while the record is spooled)")
    logged: Literal["log", "spool"] = Field(default="log", description="Where the record was durably written")


class DecisionRecord(_Schema):
    """One logged decision with everything needed to explain it to an auditor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: DecisionResponse
    request: dict[str, object] = Field(description="The request as received")
    inputs: dict[str, object] = Field(
        description="Profile, feature values with their as-of time, and scores as served"
    )
    shadow: dict[str, object] | None = Field(description="The shadow rule set's result (never answered)")
    challenger: dict[str, object] | None = Field(description="The challenger model's score (never answered)")
    seq: int = Field(description="Position in the hash chain")
    prev_hash: str
    record_hash: str

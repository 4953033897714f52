"""Request and response schemas of the HTTP API (the OpenAPI contract)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from customer360 import CustomerView, TransactionView
from pipelines.events import Channel

__all__ = [
    "CustomerResponse",
    "DecisionResponse",
    "FeatureValues",
    "Reason",
    "TransactionDecisionRequest",
]


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


class TransactionDecisionRequest(_Schema):
    """What the calling system knows about the transaction. Give ``gcid`` or the source customer."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
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
            ]
        },
    )

    gcid: str | None = Field(default=None, max_length=40)
    source_system: Annotated[str, Field(max_length=64)] | None = None
    customer_source_key: Annotated[str, Field(max_length=256)] | None = None
    account_key: str | None = None
    amount: Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=3)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    txn_type: Literal["payment", "transfer", "withdrawal"]
    channel: Channel
    counterparty: str | None = Field(default=None, max_length=256)
    device_id: str | None = Field(default=None, max_length=128)
    location: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _who(self) -> TransactionDecisionRequest:
        if self.gcid is None and not (self.source_system and self.customer_source_key):
            raise ValueError("give either gcid, or source_system and customer_source_key")
        return self


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
    degraded: bool = False
    features: FeatureValues
    decided_at: datetime
    latency_ms: float
    record_hash: str

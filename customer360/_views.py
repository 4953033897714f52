"""Read models of the Customer 360, as the API returns them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AccountView", "AttributeSource", "CustomerView", "TransactionView"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class AttributeSource(_View):
    source: str = Field(examples=["v5:CUST-000123"])
    as_of: datetime


class AccountView(_View):
    source_system: str
    account_key: str
    account_number_masked: str | None
    account_type: str
    currency: str
    status: str
    balance: Decimal | None
    available_balance: Decimal | None
    opened_on: date | None
    updated_at: datetime


class TransactionView(_View):
    source_system: str
    transaction_key: str
    account_key: str | None
    amount: Decimal
    amount_minor: int
    currency: str
    direction: str
    txn_type: str
    channel: str
    status: str
    counterparty: str | None
    device_id: str | None
    location: str | None
    occurred_at: datetime


class CustomerView(_View):
    gcid: str = Field(examples=["GC7Q2M9X4KD1HJ8P0A"])
    merged_from: str | None = Field(
        default=None, description="The GCID asked for, when it was merged into this one"
    )
    customer_type: str
    full_name: str | None
    date_of_birth: date | None
    national_id: str | None
    phones: list[str]
    emails: list[str]
    address: str | None
    kyc_tier: int | None
    kyc_status: str | None
    segment: str | None
    pep: bool | None
    sanctioned: bool | None
    attribute_sources: dict[str, AttributeSource]
    source_records: list[str]
    accounts: list[AccountView]
    updated_at: datetime = Field(description="When the golden record last changed (freshness)")

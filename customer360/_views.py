"""Read models of the Customer 360, as the API returns them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccountSummary",
    "AccountView",
    "AttributeSource",
    "ChannelActivityView",
    "CurrencyBalance",
    "CustomerMatch",
    "CustomerView",
    "DeviceView",
    "RiskComponent",
    "RiskView",
    "TransactionPage",
    "TransactionView",
]


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


class CurrencyBalance(_View):
    currency: str = Field(examples=["KES"])
    balance: Decimal
    available_balance: Decimal


class AccountSummary(_View):
    count: int
    by_status: dict[str, int] = Field(examples=[{"active": 2, "dormant": 1}])
    by_source: dict[str, int] = Field(examples=[{"v5": 2, "dfs": 1}])
    balances: list[CurrencyBalance]
    last_change_at: datetime | None


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
    counterparty_type: str | None = None
    device_id: str | None
    location: str | None
    card_last4: str | None = None
    occurred_at: datetime


class TransactionPage(_View):
    items: list[TransactionView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end")


class CustomerView(_View):
    gcid: str = Field(examples=["GC7Q2M9X4KD1HJ8P0A"])
    merged_from: str | None = Field(
        default=None, description="The GCID asked for, when it was merged into this one"
    )
    customer_type: str
    full_name: str | None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    gender: str | None = None
    date_of_birth: date | None
    national_id: str | None
    national_ids: list[str] = Field(default_factory=list)
    kra_pin: str | None = None
    phones: list[str]
    emails: list[str]
    address: str | None
    addresses: list[str] = Field(default_factory=list)
    kyc_tier: int | None
    kyc_status: str | None
    segment: str | None
    pep: bool | None
    sanctioned: bool | None
    attribute_sources: dict[str, AttributeSource]
    source_records: list[str]
    accounts: list[AccountView]
    policy_version: str | None = None
    pii_masked: bool = Field(default=False, description="PII fields are masked (the token lacks pii:read)")
    updated_at: datetime = Field(description="Newest source change in the golden record (freshness)")


class RiskComponent(_View):
    value: float = Field(ge=0, le=100)
    weight: float
    evidence: str


class RiskView(_View):
    gcid: str
    merged_from: str | None = None
    score: float | None = Field(description="0–100, higher is riskier; null when there is no evidence")
    level: str = Field(examples=["low", "medium", "high", "very_high", "unknown"])
    components: dict[str, RiskComponent]
    open_alerts: int
    pep: bool | None = None
    sanctioned: bool | None = None
    policy_version: str | None
    as_of: datetime | None = Field(description="Newest input behind the score")


class DeviceView(_View):
    device_id: str
    source_system: str
    first_seen: datetime
    last_seen: datetime
    last_channel: str | None
    last_ip: str | None
    last_location: str | None
    logins: int
    failed_logins: int
    transactions: int
    shared_with_gcids: int = Field(description="Other GCIDs seen on the same device")


class ChannelActivityView(_View):
    channel: str
    logins: int
    failed_logins: int
    sessions: int
    transactions: int
    first_seen: datetime
    last_seen: datetime
    last_login_at: datetime | None


class CustomerMatch(_View):
    gcid: str
    full_name: str | None
    matched_on: str = Field(examples=["phone"])
    source_records: list[str]

"""Payloads of the six input topics, in the Brain's standard forms.

Producers (connectors, the simulator, the channel intake) standardise values with
:mod:`kernel.standardise`; these models only check that what arrives is already standard.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kernel.standardise import CURRENCY_EXPONENTS

__all__ = [
    "AccountPayload",
    "Channel",
    "CustomerPayload",
    "E164Phone",
    "Email",
    "FraudAlertPayload",
    "LoginPayload",
    "MINOR_UNITS",
    "NationalId",
    "RiskScorePayload",
    "TransactionPayload",
]

E164Phone = Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$", examples=["+254712345678"])]
Email = Annotated[str, Field(pattern=r"^[^@\sA-Z]+@[^@\sA-Z]+\.[^@\sA-Z]+$", max_length=254)]
NationalId = Annotated[str, Field(pattern=r"^[A-Z0-9]{4,20}$", examples=["23456789"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["KES"])]
Channel = Literal["mpesa", "card", "ussd", "agency", "branch", "internet", "mobile", "atm", "api"]

#: ISO 4217 minor-unit exponents (the standardisation table); unlisted currencies default to 2.
MINOR_UNITS: Mapping[str, int] = CURRENCY_EXPONENTS


def _check_minor_units(amount: Decimal, currency: str, field: str) -> None:
    exponent = amount.as_tuple().exponent
    digits = MINOR_UNITS.get(currency, 2)
    if not isinstance(exponent, int) or -exponent > digits:
        raise ValueError(f"{field} {amount} has more precision than {currency} allows ({digits} decimals)")


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerPayload(_Payload):
    """A customer (person or business) as one source system holds it."""

    customer_type: Literal["person", "business"] = "person"
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    date_of_birth: date | None = None
    gender: Literal["F", "M", "X"] | None = None
    national_id: NationalId | None = None
    kra_pin: Annotated[str, Field(pattern=r"^[A-Z]\d{9}[A-Z]$")] | None = None
    phones: tuple[E164Phone, ...] = ()
    emails: tuple[Email, ...] = ()
    address: str | None = None
    city: str | None = None
    device_ids: tuple[str, ...] = ()
    kyc_tier: Annotated[int, Field(ge=0, le=3)] | None = None
    kyc_status: Literal["pending", "verified", "rejected", "expired"] | None = None
    segment: str | None = None
    pep: bool | None = None
    sanctioned: bool | None = None
    deleted: bool = False

    @model_validator(mode="after")
    def _has_a_name(self) -> CustomerPayload:
        if not self.deleted and not (self.full_name or self.first_name or self.last_name):
            raise ValueError("a customer needs full_name or first_name/last_name")
        return self


class AccountPayload(_Payload):
    customer_source_key: Annotated[str, Field(min_length=1)]
    account_number_masked: str | None = None
    account_type: str
    currency: Currency
    status: Literal["active", "dormant", "frozen", "closed", "pending"] = "active"
    balance: Decimal | None = None
    available_balance: Decimal | None = None
    opened_on: date | None = None
    deleted: bool = False

    @model_validator(mode="after")
    def _precision(self) -> AccountPayload:
        for name in ("balance", "available_balance"):
            value = getattr(self, name)
            if value is not None:
                _check_minor_units(value, self.currency, name)
        return self


class TransactionPayload(_Payload):
    customer_source_key: Annotated[str, Field(min_length=1)]
    account_source_key: str | None = None
    amount: Annotated[Decimal, Field(gt=0, examples=["1500.00"])]
    currency: Currency
    direction: Literal["debit", "credit"]
    txn_type: Literal["payment", "transfer", "withdrawal", "deposit", "fee", "reversal", "airtime", "bill"]
    channel: Channel
    status: Literal["posted", "pending", "failed", "reversed"] = "posted"
    counterparty: str | None = None
    counterparty_type: Literal["mpesa", "bank", "merchant", "biller", "agent", "internal"] | None = None
    device_id: str | None = None
    ip_address: str | None = None
    location: str | None = None
    card_last4: Annotated[str, Field(pattern=r"^\d{4}$")] | None = None
    card_hash: str | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _precision(self) -> TransactionPayload:
        _check_minor_units(self.amount, self.currency, "amount")
        return self


class LoginPayload(_Payload):
    customer_source_key: Annotated[str, Field(min_length=1)]
    channel: Channel
    success: bool
    failure_reason: str | None = None
    device_id: str | None = None
    ip_address: str | None = None
    location: str | None = None
    session_id: str | None = None


class FraudAlertPayload(_Payload):
    customer_source_key: Annotated[str, Field(min_length=1)]
    alert_type: str
    severity: Literal["low", "medium", "high", "critical"]
    status: Literal["open", "confirmed", "false_positive", "closed"] = "open"
    transaction_source_key: str | None = None
    score: Annotated[float, Field(ge=0, le=100)] | None = None


class RiskScorePayload(_Payload):
    customer_source_key: Annotated[str, Field(min_length=1)]
    score_type: Literal["aml", "credit", "behaviour", "fraud", "composite"]
    score: Annotated[float, Field(ge=0, le=1000)]
    rating: Literal["low", "medium", "high", "very_high"] | None = None
    model: str | None = None

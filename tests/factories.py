"""Builders of valid events for tests (one place, so tests state only what they vary)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bento_service.schemas import TransactionDecisionRequest
from feature_repo.catalog import STREAMED_VIEWS
from features import DECISION_FEATURES, FeatureRow, OnlineFeatures
from kernel.events import (
    AccountChanged,
    AccountPayload,
    CustomerChanged,
    CustomerPayload,
    TransactionPosted,
    make_event_id,
)
from pipelines.simulator import txn

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def customer(
    system: str = "v5",
    key: str = "C1",
    *,
    at: datetime = T0,
    position: str = "1",
    first_name: str = "Grace",
    last_name: str = "Wanjiru",
    national_id: str | None = "12345678",
    phones: tuple[str, ...] = ("+254712345678",),
    emails: tuple[str, ...] = ("grace.wanjiru@gmail.com",),
    date_of_birth: date | None = date(1990, 4, 12),
    **extra: Any,
) -> CustomerChanged:
    return CustomerChanged(
        event_id=make_event_id(system, "customers", key, position),
        source_system=system,
        source_table="customers",
        source_key=key,
        occurred_at=at,
        position=position,
        payload=CustomerPayload(
            first_name=first_name,
            last_name=last_name,
            national_id=national_id,
            phones=phones,
            emails=emails,
            date_of_birth=date_of_birth,
            **extra,
        ),
    )


def account(
    system: str = "v5",
    key: str = "A1",
    customer_key: str = "C1",
    *,
    at: datetime = T0,
    position: str = "1",
    balance: str = "100.00",
) -> AccountChanged:
    return AccountChanged(
        event_id=make_event_id(system, "accounts", key, position),
        source_system=system,
        source_table="accounts",
        source_key=key,
        occurred_at=at,
        position=position,
        payload=AccountPayload(
            customer_source_key=customer_key, account_type="savings", currency="KES", balance=Decimal(balance)
        ),
    )


def transaction(
    system: str = "v5",
    key: str = "T1",
    customer_key: str = "C1",
    *,
    at: datetime = T0,
    amount: str = "1000.00",
    channel: str = "mpesa",
    device_id: str | None = None,
) -> TransactionPosted:
    """A posted M-Pesa payment in KES (the simulator's builder, with the tests' argument order)."""
    return txn(key, customer_key, system=system, at=at, amount=amount, channel=channel, device_id=device_id)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def decision_request(amount: str, **changes: Any) -> TransactionDecisionRequest:
    """A transaction-decision request for the customer ``v5:C1`` (an M-Pesa payment in KES)."""
    values: dict[str, Any] = {
        "source_system": "v5",
        "customer_source_key": "C1",
        "amount": Decimal(amount),
        "currency": "KES",
        "txn_type": "payment",
        "channel": "mpesa",
    }
    return TransactionDecisionRequest(**(values | changes))


def feature_row(view: str, gcid: str, at: datetime, **values: int | float | str | None) -> FeatureRow:
    """A row of the streamed view ``view``: the given columns set, every other column null."""
    spec = next(v for v in STREAMED_VIEWS if v.name == view)
    unknown = set(values) - set(spec.names)
    assert not unknown, f"{view} has no columns {sorted(unknown)}"
    return FeatureRow(view, gcid, at, {**dict.fromkeys(spec.names), **values})


def velocity_row(gcid: str, at: datetime, count_24h: int, sum_24h: float) -> FeatureRow:
    """A ``transaction_windows`` row with its 24 h count and sum (the velocity rules read)."""
    return feature_row("transaction_windows", gcid, at, txn_count_24h=count_24h, txn_amount_sum_24h=sum_24h)


def served(gcid: str, at: datetime | None = None, **values: int | float | str | None) -> OnlineFeatures:
    """The decision context expected for ``gcid``: the given features, every other one null."""
    unknown = set(values) - set(DECISION_FEATURES)
    assert not unknown, f"not in the decision vocabulary: {sorted(unknown)}"
    return OnlineFeatures(gcid, {**dict.fromkeys(DECISION_FEATURES), **values}, at)

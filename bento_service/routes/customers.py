"""``GET /customer/{gcid}`` (the Customer 360) and ``GET /customers`` (lookup by identifier)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from bento_service.auth import Principal, Scope, require_scope
from bento_service.deps import Deps, request_verifier
from bento_service.errors import Forbidden, NotFound
from bento_service.routes._c360 import InvalidFilter, json_response, masked_transactions
from bento_service.schemas import FeatureValues
from customer360 import (
    AccountSummary,
    ChannelActivityView,
    CustomerMatch,
    CustomerView,
    LookupKey,
    RiskView,
    TransactionView,
    account_summary,
    find_customers,
    get_profile,
    mask_customer,
)
from features import FeatureStoreError
from identity.errors import UnknownGcid
from kernel.storage import run_read

__all__ = ["Gcid", "router"]

router = APIRouter(tags=["customer-360"])

CustomerReader = Annotated[Principal, Depends(require_scope(request_verifier, Scope.CUSTOMER_READ))]
Gcid = Annotated[
    str, Path(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9_-]+$", examples=["GC7Q2M9X4KD1HJ8P0A"])
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown GCID (problem details)"}}


class Freshness(BaseModel):
    model_config = ConfigDict(frozen=True)

    golden_record_as_of: datetime = Field(description="Newest source change in the golden record")
    accounts_as_of: datetime | None
    latest_transaction_at: datetime | None
    risk_as_of: datetime | None
    served_at: datetime


class CustomerResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer: CustomerView
    account_summary: AccountSummary
    risk: RiskView
    channels: list[ChannelActivityView]
    features: FeatureValues
    recent_transactions: list[TransactionView]
    freshness: Freshness


class CustomerSearch(BaseModel):
    model_config = ConfigDict(frozen=True)

    matched_on: LookupKey
    items: list[CustomerMatch]


@router.get(
    "/customer/{gcid}",
    response_model=CustomerResponse,
    summary="Customer 360 of one GCID",
    responses=_NOT_FOUND,
)
def read_customer(gcid: Gcid, principal: CustomerReader, deps: Deps) -> Response:
    """Golden record (each attribute with its source and as-of time), account summary, latest risk,
    channel activity, recent transactions, online features and freshness timestamps.

    A merged GCID answers with its survivor and ``merged_from``. PII (national ids, phones,
    emails, date of birth, addresses) is masked unless the token has ``pii:read``. Scope:
    ``customer:read``.
    """
    try:
        # one statement on PostgreSQL, so the autocommit reader suffices
        profile = run_read(deps.reader, lambda conn: get_profile(conn, gcid, transactions=20))
    except UnknownGcid as exc:
        raise NotFound(exc.detail) from None
    customer, risk, transactions = profile.customer, profile.risk, profile.recent_transactions
    try:
        online = deps.features.online_features(customer.gcid)
        features = FeatureValues(
            txn_count_24h=online.integer("txn_count_24h"),
            txn_amount_sum_24h=online.number("txn_amount_sum_24h"),
            as_of=online.event_timestamp,
        )
    except FeatureStoreError:
        features = FeatureValues(txn_count_24h=None, txn_amount_sum_24h=None, as_of=None)
    pii = principal.has_scope(Scope.PII_READ)
    summary = account_summary(customer.accounts)
    freshness = Freshness(
        golden_record_as_of=customer.updated_at,
        accounts_as_of=summary.last_change_at,
        latest_transaction_at=transactions[0].occurred_at if transactions else None,
        risk_as_of=risk.as_of,
        served_at=datetime.now(UTC),
    )
    response = CustomerResponse(
        customer=customer if pii else mask_customer(customer),
        account_summary=summary,
        risk=risk.model_copy(update={"merged_from": None}),
        channels=profile.channels,
        features=features,
        recent_transactions=transactions if pii else masked_transactions(transactions),
        freshness=freshness,
    )
    return json_response(response)


@router.get(
    "/customers",
    response_model=CustomerSearch,
    summary="Find GCIDs by national id, phone, email or source key",
    responses={422: {"description": "Not exactly one identifier given (problem details)"}},
)
def search_customers(
    principal: CustomerReader,
    deps: Deps,
    national_id: Annotated[str | None, Query(max_length=32, examples=["23456789"])] = None,
    phone: Annotated[str | None, Query(pattern=r"^\+[1-9]\d{6,14}$", examples=["+254712345678"])] = None,
    email: Annotated[str | None, Query(max_length=254, examples=["grace.wanjiru@gmail.com"])] = None,
    source_key: Annotated[str | None, Query(max_length=256, examples=["CUST-0000042"])] = None,
) -> CustomerSearch:
    """Every GCID whose golden record carries the identifier (a shared phone finds each holder).

    Exactly one parameter. Scope ``customer:read``; searching by national id, phone or email also
    needs ``pii:read`` (the answer would confirm personal data).
    """
    candidates: tuple[tuple[LookupKey, str | None], ...] = (
        ("national_id", national_id),
        ("phone", phone),
        ("email", email.lower() if email else None),
        ("source_key", source_key),
    )
    given = [(k, v) for k, v in candidates if v]
    if len(given) != 1:
        raise InvalidFilter("give exactly one of national_id, phone, email, source_key")
    key, value = given[0]
    if key != "source_key" and not principal.has_scope(Scope.PII_READ):
        raise Forbidden([Scope.PII_READ])
    with deps.engine.connect() as conn:
        items = find_customers(conn, key, value)
    return CustomerSearch(matched_on=key, items=items)

"""``/customer/{gcid}/accounts``, ``/transactions``, ``/risk`` and ``/devices``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine
from starlette.responses import Response

from bento_service.auth import Principal, Scope, require_scope
from bento_service.deps import Deps, request_verifier
from bento_service.errors import NotFound
from bento_service.routes._c360 import InvalidFilter, json_response, masked_transactions
from bento_service.routes.customers import Gcid
from customer360 import (
    AccountSummary,
    AccountView,
    DeviceView,
    RiskView,
    TransactionPage,
    TransactionQuery,
    account_summary,
    decode_cursor,
    get_accounts,
    get_devices,
    get_risk,
    get_transaction_page,
    mask_device,
    survivor_of,
)
from identity.errors import UnknownGcid
from kernel.events import Channel
from kernel.storage import run_read

__all__ = ["router"]

router = APIRouter(tags=["customer-360"])

T = TypeVar("T")

CustomerReader = Annotated[Principal, Depends(require_scope(request_verifier, Scope.CUSTOMER_READ))]
TransactionReader = Annotated[Principal, Depends(require_scope(request_verifier, Scope.TRANSACTION_READ))]
RiskReader = Annotated[Principal, Depends(require_scope(request_verifier, Scope.RISK_READ))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown GCID (problem details)"},
    422: {"description": "Invalid GCID or filters (problem details listing every error)"},
}


class AccountsResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    gcid: str
    merged_from: str | None
    summary: AccountSummary
    items: list[AccountView]


class DevicesResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    gcid: str
    merged_from: str | None
    items: list[DeviceView]


def _read(engine: Engine, gcid: str, read: Callable[[Connection, str], T]) -> tuple[str, T]:
    """``read`` applied to the survivor of ``gcid``; unknown GCID → 404."""
    try:
        with engine.connect() as conn:
            survivor = survivor_of(conn, gcid)
            return survivor, read(conn, survivor)
    except UnknownGcid as exc:
        raise NotFound(exc.detail) from None


@router.get("/customer/{gcid}/accounts", response_model=AccountsResponse, responses=_ERRORS)
def read_accounts(gcid: Gcid, _principal: CustomerReader, deps: Deps) -> AccountsResponse:
    """Every account of every source system under the GCID, with a summary. Scope ``customer:read``."""
    survivor, items = _read(deps.engine, gcid, get_accounts)
    return AccountsResponse(
        gcid=survivor,
        merged_from=gcid if survivor != gcid else None,
        summary=account_summary(items),
        items=items,
    )


@router.get("/customer/{gcid}/transactions", response_model=TransactionPage, responses=_ERRORS)
def read_transactions(
    gcid: Gcid,
    principal: TransactionReader,
    deps: Deps,
    since: Annotated[
        datetime | None, Query(description="Inclusive lower bound (ISO 8601 with offset)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Exclusive upper bound (ISO 8601 with offset)")
    ] = None,
    txn_type: Annotated[
        Literal["payment", "transfer", "withdrawal", "deposit", "fee", "reversal", "airtime", "bill"] | None,
        Query(alias="type"),
    ] = None,
    channel: Channel | None = None,
    account: Annotated[str | None, Query(max_length=256, examples=["V5-AC-0000101"])] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", examples=["KES"])] = None,
    min_amount: Annotated[
        Decimal | None, Query(ge=0, max_digits=20, decimal_places=3, examples=["100.00"])
    ] = None,
    max_amount: Annotated[
        Decimal | None, Query(ge=0, max_digits=20, decimal_places=3, examples=["5000.00"])
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Transactions of the GCID newest first, cursor-paginated, with filters (amounts in major units
    of ``currency``; two decimals when no currency is given). Scope ``transaction:read``;
    phone-number counterparties are masked without ``pii:read``."""
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise InvalidFilter("since and until need a UTC offset (e.g. 2026-11-25T10:00:00Z)")
    if since is not None and until is not None and since >= until:
        raise InvalidFilter("since must be before until")
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        raise InvalidFilter("min_amount must not exceed max_amount")
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except ValueError as exc:
            raise InvalidFilter(str(exc)) from None
    query = TransactionQuery(
        since=since,
        until=until,
        txn_type=txn_type,
        channel=channel,
        account_key=account,
        currency=currency,
        min_amount=min_amount,
        max_amount=max_amount,
        cursor=cursor,
        limit=limit,
    )
    try:
        # one statement on PostgreSQL, so the autocommit reader suffices
        _, page = run_read(deps.reader, lambda conn: get_transaction_page(conn, gcid, query))
    except UnknownGcid as exc:
        raise NotFound(exc.detail) from None
    if principal.has_scope(Scope.PII_READ):
        return json_response(page)
    return json_response(page.model_copy(update={"items": masked_transactions(page.items)}))


@router.get("/customer/{gcid}/risk", response_model=RiskView, responses=_ERRORS)
def read_risk(gcid: Gcid, _principal: RiskReader, deps: Deps) -> RiskView:
    """The latest risk profile: 0–100 score, level and its components (fraud alerts, AML rating,
    credit score, behaviour), PEP/sanctions flags. Scope ``risk:read``."""
    _, risk = _read(deps.engine, gcid, get_risk)
    return risk.model_copy(update={"merged_from": gcid if risk.gcid != gcid else None})


@router.get("/customer/{gcid}/devices", response_model=DevicesResponse, responses=_ERRORS)
def read_devices(gcid: Gcid, principal: CustomerReader, deps: Deps) -> DevicesResponse:
    """Devices seen in the GCID's logins and transactions, with how many other GCIDs share each.
    Scope ``customer:read``; IP addresses only with ``pii:read``."""
    survivor, items = _read(deps.engine, gcid, get_devices)
    if not principal.has_scope(Scope.PII_READ):
        items = [mask_device(d) for d in items]
    return DevicesResponse(gcid=survivor, merged_from=gcid if survivor != gcid else None, items=items)

"""``GET /customer/{gcid}``: the Customer 360 with its features."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from bento_service.auth import Principal, Scope, require_scope
from bento_service.deps import current, verifier
from bento_service.errors import NotFound
from bento_service.schemas import CustomerResponse, FeatureValues
from customer360 import get_customer, get_recent_transactions
from identity.errors import UnknownGcid
from pipelines.features import FeatureStoreError

__all__ = ["router"]

router = APIRouter(tags=["customer-360"])

CustomerReader = Annotated[Principal, Depends(require_scope(verifier, Scope.CUSTOMER_READ))]
Gcid = Annotated[
    str, Path(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9_-]+$", examples=["GC7Q2M9X4KD1HJ8P0A"])
]


@router.get(
    "/customer/{gcid}",
    response_model=CustomerResponse,
    summary="Customer 360 of one GCID",
    responses={404: {"description": "Unknown GCID (problem details)"}},
)
def read_customer(gcid: Gcid, _principal: CustomerReader) -> CustomerResponse:
    """Golden record, accounts from every system, recent transactions and online features.

    A merged GCID answers with its survivor and ``merged_from``.
    """
    deps = current()
    try:
        with deps.engine.connect() as conn:
            customer = get_customer(conn, gcid)
            transactions = get_recent_transactions(conn, customer.gcid, limit=20)
    except UnknownGcid as exc:
        raise NotFound(exc.detail) from None
    try:
        online = deps.features.online_features(customer.gcid)
        features = FeatureValues(
            txn_count_24h=online.txn_count_24h,
            txn_amount_sum_24h=online.txn_amount_sum_24h,
            as_of=online.event_timestamp,
        )
    except FeatureStoreError:
        features = FeatureValues(txn_count_24h=None, txn_amount_sum_24h=None, as_of=None)
    return CustomerResponse(customer=customer, features=features, recent_transactions=transactions)

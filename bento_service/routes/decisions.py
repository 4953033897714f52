"""``POST /v1/decisions/{transaction,login,credit}`` and ``GET /v1/decisions/{id}``."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path

from bento_service.auth import Principal, Scope, require_scope
from bento_service.deps import current, verifier
from bento_service.schemas import (
    CreditDecisionRequest,
    DecisionRecord,
    DecisionResponse,
    LoginDecisionRequest,
    TransactionDecisionRequest,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])

DecisionWriter = Annotated[Principal, Depends(require_scope(verifier, Scope.DECISION_WRITE))]
DecisionReader = Annotated[Principal, Depends(require_scope(verifier, Scope.DECISION_READ))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="Retries with the same key return the first decision instead of deciding again",
    ),
]
ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "The GCID given is unknown (problem details)"},
    409: {"description": "Idempotency-Key reused with a different request"},
    422: {"description": "Invalid request (problem details listing every field error)"},
}


@router.post(
    "/transaction",
    response_model=DecisionResponse,
    summary="Decide on a payment, transfer or withdrawal",
    responses=ERRORS,
)
async def transaction_decision(
    request: TransactionDecisionRequest, _principal: DecisionWriter, idempotency_key: IdempotencyKey = None
) -> DecisionResponse:
    """APPROVE / REVIEW / STEP_UP / DECLINE with reason codes; logged before the answer returns."""
    return await current().decisions.decide_async(request, idempotency_key)


@router.post("/login", response_model=DecisionResponse, summary="Decide on a sign-in", responses=ERRORS)
async def login_decision(
    request: LoginDecisionRequest, _principal: DecisionWriter, idempotency_key: IdempotencyKey = None
) -> DecisionResponse:
    """ALLOW / STEP_UP / DENY with reason codes."""
    return await current().decisions.decide_async(request, idempotency_key)


@router.post(
    "/credit",
    response_model=DecisionResponse,
    summary="Pre-approve a loan and set its limit",
    responses=ERRORS,
)
async def credit_decision(
    request: CreditDecisionRequest, _principal: DecisionWriter, idempotency_key: IdempotencyKey = None
) -> DecisionResponse:
    """APPROVE / REVIEW / DECLINE with the pre-approved ``limit``."""
    return await current().decisions.decide_async(request, idempotency_key)


@router.get(
    "/{decision_id}",
    response_model=DecisionRecord,
    summary="One logged decision, with its inputs, shadow results and chain link",
    responses={404: {"description": "No such decision (problem details)"}},
)
def read_decision(
    decision_id: Annotated[str, Path(min_length=8, max_length=64)], _principal: DecisionReader
) -> DecisionRecord:
    return current().decisions.stored(decision_id)

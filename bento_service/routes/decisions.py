"""``POST /v1/decisions/{transaction,login,credit}`` and ``GET /v1/decisions/{id}``.

The decision routes answer with the engine's :class:`DecisionResponse` serialised once
(``model_dump_json``) as a raw response: ``response_model`` still documents it in OpenAPI, but
FastAPI's dump → re-validate → re-encode of the returned model is skipped. The model is built
by the engine from typed values, so nothing the re-validation could catch reaches it.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response

from bento_service.auth import Principal, Scope, require_scope
from bento_service.deps import Deps, request_verifier
from bento_service.schemas import (
    CreditDecisionRequest,
    DecisionRecord,
    DecisionResponse,
    LoginDecisionRequest,
    TransactionDecisionRequest,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])

DecisionWriter = Annotated[Principal, Depends(require_scope(request_verifier, Scope.DECISION_WRITE))]
DecisionReader = Annotated[Principal, Depends(require_scope(request_verifier, Scope.DECISION_READ))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="Retries with the same key return the first decision instead of deciding again",
    ),
]
_JSON = "application/json"
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
    request: TransactionDecisionRequest,
    _principal: DecisionWriter,
    deps: Deps,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """APPROVE / REVIEW / STEP_UP / DECLINE with reason codes; logged before the answer returns."""
    return _raw(await deps.decisions.decide_async(request, idempotency_key))


@router.post("/login", response_model=DecisionResponse, summary="Decide on a sign-in", responses=ERRORS)
async def login_decision(
    request: LoginDecisionRequest,
    _principal: DecisionWriter,
    deps: Deps,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """ALLOW / STEP_UP / DENY with reason codes."""
    return _raw(await deps.decisions.decide_async(request, idempotency_key))


@router.post(
    "/credit",
    response_model=DecisionResponse,
    summary="Pre-approve a loan and set its limit",
    responses=ERRORS,
)
async def credit_decision(
    request: CreditDecisionRequest,
    _principal: DecisionWriter,
    deps: Deps,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """APPROVE / REVIEW / DECLINE with the pre-approved ``limit``."""
    return _raw(await deps.decisions.decide_async(request, idempotency_key))


@router.get(
    "/{decision_id}",
    response_model=DecisionRecord,
    summary="One logged decision, with its inputs, shadow results and chain link",
    responses={404: {"description": "No such decision (problem details)"}},
)
def read_decision(
    decision_id: Annotated[str, Path(min_length=8, max_length=64)], _principal: DecisionReader, deps: Deps
) -> DecisionRecord:
    return deps.decisions.stored(decision_id)


def _raw(answer: DecisionResponse) -> Response:
    return Response(answer.model_dump_json(), media_type=_JSON)

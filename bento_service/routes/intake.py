"""``POST /v1/intake/channel-events``: channel back ends (web, mobile, USSD) post logins and sessions.

Needs scope ``intake:write``. 202 when every item was valid and published; 422 problem details
listing every invalid item (``errors[].loc`` = ``["body", "events", <index>, <field>...]``) when
some were not — the valid items of the batch are published all the same and the invalid ones are
on ``login.events.dlq`` (:mod:`bento_service.intake`); 503 when the transport is down (retry the
batch: same event ids).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from bento_service.auth import Principal, Scope, require_scope
from bento_service.deps import Deps, request_verifier
from bento_service.errors import ServiceError
from bento_service.intake import IntakeItem
from bento_service.problems import PROBLEM_MEDIA_TYPE, Problem, problem_type

__all__ = ["router"]

router = APIRouter(prefix="/v1/intake", tags=["intake"])

IntakeWriter = Annotated[Principal, Depends(require_scope(request_verifier, Scope.INTAKE_WRITE))]
MAX_BATCH = 500


class IntakeUnavailable(ServiceError):
    status = 503
    code = "intake-unavailable"
    title = "Intake Unavailable"


class ChannelEventBatch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    events: Annotated[
        list[JsonValue],
        Field(
            min_length=1,
            max_length=MAX_BATCH,
            description="Canonical login.events events (LoginAttempted wire JSON); "
            "event_id may be left out (derived from source system, table, key and occurred_at).",
        ),
    ]


class IntakeAccepted(BaseModel):
    model_config = ConfigDict(frozen=True)

    accepted: int
    rejected: int = 0
    items: tuple[IntakeItem, ...]


@router.post(
    "/channel-events",
    status_code=202,
    response_model=IntakeAccepted,
    summary="Publish a batch of channel login/session events to login.events",
    responses={
        422: {"description": "Some items are invalid (problem details, one entry per field error)"},
        503: {"description": "The event transport is unavailable: retry the batch"},
    },
)
def channel_events(
    batch: ChannelEventBatch, principal: IntakeWriter, deps: Deps, request: Request
) -> JSONResponse:
    intake = deps.intake
    if intake is None:
        raise IntakeUnavailable("channel-event intake is not configured in this process")
    result = intake.submit(batch.events, principal.client_id or principal.subject)
    if not result.rejected:
        body = IntakeAccepted(accepted=result.accepted, items=result.items)
        return JSONResponse(body.model_dump(mode="json"), status_code=202)
    problem = Problem(
        type=problem_type("invalid-channel-events"),
        title="Invalid Channel Events",
        status=422,
        detail=f"{result.rejected} of {len(result.items)} events are invalid and went to "
        f"login.events.dlq; the {result.accepted} valid ones were published",
        instance=request.url.path,
        errors=tuple(e for item in result.items for e in item.errors),
    )
    content = problem.model_dump(mode="json", exclude_none=True) | {
        "accepted": result.accepted,
        "rejected": result.rejected,
        "items": [i.model_dump(mode="json") for i in result.items],
    }
    return JSONResponse(content, status_code=422, media_type=PROBLEM_MEDIA_TYPE)

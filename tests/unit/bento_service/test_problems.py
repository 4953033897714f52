"""Problem details (RFC 9457) for every error the HTTP API can answer with."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from bento_service import errors, problems
from bento_service.errors import AuthError, BadRequest, Forbidden, NotFound, ServiceError, Unauthorized
from bento_service.problems import (
    PROBLEM_MEDIA_TYPE,
    FieldError,
    Problem,
    install_problem_handlers,
    problem_response,
    problem_type,
)
from kernel.errors import EnterpriseBrainError, InvalidEvent, TransportError

pytestmark = pytest.mark.unit

SECRET = "password=hunter2 at db.internal:5432"


class DecisionRequest(BaseModel):
    gcid: Annotated[str, Field(min_length=3)]
    amount: Annotated[float, Field(ge=0)]
    channel: str


def _client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/decisions")
    async def decide(request: DecisionRequest, limit: Annotated[int, Query(ge=1)] = 10) -> dict[str, str]:
        return {"gcid": request.gcid}

    @app.get("/customer/{gcid}")
    async def customer(gcid: str) -> dict[str, str]:
        raise NotFound(f"customer {gcid} does not exist")

    @app.get("/bad")
    async def bad() -> None:
        raise BadRequest("from must be before to")

    @app.get("/invalid-event")
    async def invalid_event() -> None:
        raise InvalidEvent("schema_version 9 is unknown")

    @app.get("/kafka")
    async def kafka() -> None:
        raise TransportError(SECRET)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/sync-boom")
    def sync_boom() -> None:
        raise KeyError(SECRET)

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(status_code=418, detail="no coffee here", headers={"X-Brew": "tea"})

    return TestClient(app)


def _problem(response: Any, status: int, title: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] == title
    Problem.model_validate(body)  # the body is a valid problem
    return body


def test_error_tree() -> None:
    assert issubclass(AuthError, ServiceError) and issubclass(ServiceError, EnterpriseBrainError)
    assert issubclass(Unauthorized, AuthError) and issubclass(Forbidden, AuthError)
    assert (Unauthorized.status, Forbidden.status, NotFound.status, BadRequest.status) == (401, 403, 404, 400)
    forbidden = Forbidden(["pii:read", "admin", "pii:read"])
    assert forbidden.missing == ("admin", "pii:read")
    assert forbidden.detail == "the token lacks the required scopes 'admin', 'pii:read'"
    assert Forbidden(["pii:read"]).detail == "the token lacks the required scope 'pii:read'"


def test_problem_is_frozen_and_typed() -> None:
    problem = Problem(type=problem_type("not-found"), title="Not Found", status=404)
    assert problem.type == "https://errors.wekeza.bank/brain/not-found"
    with pytest.raises(ValidationError):
        problem.status = 500  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Problem(type="about:blank", title="OK", status=200)


def test_problem_response_from_error_carries_its_headers() -> None:
    response = problem_response(Unauthorized("the token has expired"), instance="/x")
    assert response.status_code == 401
    assert response.media_type == PROBLEM_MEDIA_TYPE
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    body = bytes(response.body)
    assert body.startswith(b"{") and b'"instance":"/x"' in body
    assert b"null" not in body  # absent members are left out, not null


def test_brain_errors_keep_status_and_detail() -> None:
    client = _client()
    body = _problem(client.get("/customer/GC-7"), 404, "Not Found")
    assert body == {
        "type": "https://errors.wekeza.bank/brain/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "customer GC-7 does not exist",
        "instance": "/customer/GC-7",
    }
    assert _problem(client.get("/bad"), 400, "Bad Request")["detail"] == "from must be before to"
    body = _problem(client.get("/invalid-event"), 422, "Invalid event")
    assert body["type"] == "https://errors.wekeza.bank/brain/invalid-event"


def test_server_side_brain_error_does_not_leak(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger=problems.__name__):
        response = _client().get("/kafka")
    body = _problem(response, 503, "Transport unavailable")
    assert SECRET not in response.text
    assert body["type"] == "https://errors.wekeza.bank/brain/transport-unavailable"
    assert any(SECRET in record.getMessage() for record in caplog.records)


def test_validation_error_lists_every_field() -> None:
    response = _client().post("/decisions?limit=0", json={"gcid": "G", "amount": -5})
    body = _problem(response, 422, "Request Validation Failed")
    assert body["type"] == "https://errors.wekeza.bank/brain/validation-error"
    assert body["detail"] == "4 fields failed validation"
    by_loc = {tuple(err["loc"]): err for err in body["errors"]}
    assert set(by_loc) == {("body", "gcid"), ("body", "amount"), ("body", "channel"), ("query", "limit")}
    assert by_loc[("body", "channel")]["type"] == "missing"
    assert by_loc[("body", "amount")]["type"] == "greater_than_equal"
    for err in body["errors"]:
        FieldError.model_validate(err)
        assert set(err) == {"loc", "msg", "type"}  # the rejected input is not echoed back


def test_malformed_json_body_is_422() -> None:
    response = _client().post(
        "/decisions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    body = _problem(response, 422, "Request Validation Failed")
    assert body["errors"][0]["type"] == "json_invalid"


def test_unknown_route_is_404_problem() -> None:
    body = _problem(_client().get("/no/such/route"), 404, "Not Found")
    assert body == {
        "type": "https://errors.wekeza.bank/brain/not-found",
        "title": "Not Found",
        "status": 404,
        "instance": "/no/such/route",
    }


def test_wrong_method_is_405_problem_with_allow() -> None:
    response = _client().delete("/customer/GC-1")
    body = _problem(response, 405, "Method Not Allowed")
    assert body["type"] == "https://errors.wekeza.bank/brain/method-not-allowed"
    assert response.headers["allow"] == "GET"


def test_http_exception_keeps_detail_and_headers() -> None:
    response = _client().get("/teapot")
    body = _problem(response, 418, "I'm a Teapot")
    assert body["detail"] == "no coffee here"
    assert response.headers["x-brew"] == "tea"


@pytest.mark.parametrize("path", ["/boom", "/sync-boom"])
def test_unexpected_exception_is_500_without_internals(path: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger=problems.__name__):
        response = _client().get(path)
    body = _problem(response, 500, "Internal Server Error")
    assert body["type"] == "https://errors.wekeza.bank/brain/internal-error"
    assert body["instance"] == path
    assert SECRET not in response.text and "Error" not in body["detail"]
    (record,) = [r for r in caplog.records if r.exc_info]
    assert SECRET in str(record.exc_info[1])  # type: ignore[index]


def test_public_surfaces() -> None:
    for module in (problems, errors):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"

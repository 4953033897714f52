"""RFC 9457 problem details for every error the HTTP API answers with.

Each error body is ``application/problem+json``::

    {"type": "https://errors.wekeza.bank/brain/not-found", "title": "Not Found", "status": 404,
     "detail": "customer GC-123 does not exist", "instance": "/customer/GC-123"}

:func:`install_problem_handlers` makes a FastAPI app answer like this for

* any :class:`~kernel.errors.EnterpriseBrainError`: its ``status``, ``code`` and ``detail``;
  for a status of 500 or more the detail is logged and replaced by a generic sentence;
* FastAPI's ``RequestValidationError``: 422 with one entry per field error in ``errors`` (the
  offending input values are not echoed back: they may be personal data);
* Starlette's ``HTTPException`` (unknown route 404, 405, ...): its status, keeping its headers;
* anything else: 500, logged with its traceback, nothing about it in the body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Annotated

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bento_service.errors import ServiceError
from kernel.errors import EnterpriseBrainError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_BASE",
    "FieldError",
    "Problem",
    "install_problem_handlers",
    "problem_from_error",
    "problem_response",
    "problem_type",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://errors.wekeza.bank/brain/"
_GENERIC_SERVER_DETAIL = "The server could not complete the request; the incident has been logged."

_log = logging.getLogger(__name__)


def problem_type(code: str) -> str:
    """The ``type`` URI of a problem code, e.g. ``not-found`` → ``https://errors.wekeza.bank/brain/not-found``."""
    return PROBLEM_TYPE_BASE + code


class FieldError(BaseModel, frozen=True):
    """One failed field of a request: where (``loc``, as FastAPI reports it), what and why."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


class Problem(BaseModel, frozen=True):
    """An RFC 9457 problem details object (``errors`` is an extension member for validation)."""

    type: str = Field(description="URI identifying the problem type.")
    title: str = Field(description="Short summary, the same for every occurrence of the type.")
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str | None = Field(default=None, description="Explanation of this occurrence.")
    instance: str | None = Field(default=None, description="The request path that failed.")
    errors: tuple[FieldError, ...] | None = None


def _title_of(exc: EnterpriseBrainError) -> str:
    if isinstance(exc, ServiceError):
        return exc.title
    return exc.code.replace("-", " ").capitalize()


def problem_from_error(exc: EnterpriseBrainError, *, instance: str | None = None) -> Problem:
    """The problem for a Brain error; server-side (5xx) details are replaced, not leaked."""
    detail = exc.detail if exc.status < 500 else _GENERIC_SERVER_DETAIL
    return Problem(
        type=problem_type(exc.code),
        title=_title_of(exc),
        status=exc.status,
        detail=detail,
        instance=instance,
    )


def problem_response(
    source: EnterpriseBrainError | Problem,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An ``application/problem+json`` response for an error or a ready problem.

    For a :class:`~bento_service.errors.ServiceError` its own headers (``WWW-Authenticate``) are
    added; ``headers`` given here win.
    """
    if isinstance(source, Problem):
        problem = source if instance is None else source.model_copy(update={"instance": instance})
        all_headers: dict[str, str] = {}
    else:
        problem = problem_from_error(source, instance=instance)
        all_headers = dict(source.headers) if isinstance(source, ServiceError) else {}
    all_headers.update(headers or {})
    return JSONResponse(
        content=problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=all_headers or None,
        media_type=PROBLEM_MEDIA_TYPE,
    )


async def _on_brain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EnterpriseBrainError)
    if exc.status >= 500:
        _log.error(
            "%s %s failed with %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc.detail,
            exc_info=exc,
        )
    return problem_response(exc, instance=request.url.path)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = tuple(
        FieldError(loc=tuple(err.get("loc", ())), msg=str(err.get("msg", "")), type=str(err.get("type", "")))
        for err in exc.errors()
    )
    count = len(errors)
    problem = Problem(
        type=problem_type("validation-error"),
        title="Request Validation Failed",
        status=422,
        detail=f"{count} field{'s' if count != 1 else ''} failed validation",
        instance=request.url.path,
        errors=errors,
    )
    return problem_response(problem)


def _http_status_code(status: int) -> tuple[str, str]:
    """(code, title) of a bare HTTP status: 405 → ("method-not-allowed", "Method Not Allowed")."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return phrase.lower().replace(" ", "-"), phrase


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 400:  # not an error; FastAPI allows raising e.g. 304
        return Response(status_code=exc.status_code, headers=exc.headers)
    code, title = _http_status_code(exc.status_code)
    detail = exc.detail if exc.detail and exc.detail != title else None
    problem = Problem(
        type=problem_type(code),
        title=title,
        status=exc.status_code,
        detail=detail,
        instance=request.url.path,
    )
    return problem_response(problem, headers=exc.headers)


def _internal_problem(path: str) -> Problem:
    return Problem(
        type=problem_type("internal-error"),
        title="Internal Server Error",
        status=500,
        detail=_GENERIC_SERVER_DETAIL,
        instance=path,
    )


async def _on_unhandled(request: Request, exc: Exception) -> Response:
    # Fallback used by Starlette's ServerErrorMiddleware (errors raised outside our middleware):
    # Starlette re-raises after sending this, so the server logs the traceback; we do not.
    return problem_response(_internal_problem(request.url.path))


class _UnhandledErrorMiddleware:
    """Turns an exception no handler claimed into a 500 problem, logging it once with its traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:  # too late for a problem body; let the server abort the response
                raise
            path = str(scope.get("path", ""))
            _log.exception("%s %s failed with an unhandled exception", scope.get("method", ""), path)
            await problem_response(_internal_problem(path))(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` answer with a problem; call before the app serves requests."""
    app.add_exception_handler(EnterpriseBrainError, _on_brain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unhandled)
    app.add_middleware(_UnhandledErrorMiddleware)

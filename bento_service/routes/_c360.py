"""Pieces the Customer 360 routes share: the filter error and PII masking of lists."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response

from bento_service.errors import ServiceError
from customer360 import TransactionView, mask_transaction

__all__ = ["InvalidFilter", "json_response", "masked_transactions"]


class InvalidFilter(ServiceError):
    """Query parameters that are well-formed one by one but not together (or a foreign cursor)."""

    status = 422
    code = "invalid-filter"
    title = "Invalid Filter"


def masked_transactions(items: list[TransactionView]) -> list[TransactionView]:
    return [mask_transaction(t) for t in items]


def json_response(model: BaseModel) -> Response:
    """``model`` serialised once, in pydantic's Rust core. Returning a :class:`Response` skips
    FastAPI's re-validation of the return value against ``response_model`` (for a sync route, one
    more hop through the thread pool); the route's ``response_model`` still documents the shape."""
    return Response(model.model_dump_json().encode(), media_type="application/json")

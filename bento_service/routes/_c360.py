"""Pieces the Customer 360 routes share: the filter error and PII masking of lists."""

from __future__ import annotations

from bento_service.errors import ServiceError
from customer360 import TransactionView, mask_transaction

__all__ = ["InvalidFilter", "masked_transactions"]


class InvalidFilter(ServiceError):
    """Query parameters that are well-formed one by one but not together (or a foreign cursor)."""

    status = 422
    code = "invalid-filter"
    title = "Invalid Filter"


def masked_transactions(items: list[TransactionView]) -> list[TransactionView]:
    return [mask_transaction(t) for t in items]

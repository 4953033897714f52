"""The scopes of the Brain's API: the exact strings tokens carry, and what each one opens.

No scope implies another (``admin`` included). Kept free of FastAPI and JWT so that ``brain token
--help`` can list them instantly.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = ["KNOWN_SCOPES", "SCOPE_GRANTS", "Scope"]


class Scope(StrEnum):
    """The scopes the Brain's routes require. Values are the exact strings carried in tokens."""

    CUSTOMER_READ = "customer:read"
    DECISION_WRITE = "decision:write"
    DECISION_READ = "decision:read"
    IDENTITY_READ = "identity:read"
    IDENTITY_WRITE = "identity:write"
    PII_READ = "pii:read"
    TRANSACTION_READ = "transaction:read"  # Customer 360 transactions (issue 5)
    RISK_READ = "risk:read"  # Customer 360 risk profile (issue 5)
    INTAKE_WRITE = "intake:write"  # channel-event intake (issue 3)
    ADMIN = "admin"


#: What each scope opens (shown by ``brain token --help`` and in docs/decision-api.md).
SCOPE_GRANTS: Final[dict[Scope, str]] = {
    Scope.CUSTOMER_READ: "GET /customer/{gcid} (PII masked) and the customer search",
    Scope.DECISION_WRITE: "POST /v1/decisions/transaction, /login and /credit",
    Scope.DECISION_READ: "GET /v1/decisions/{decision_id}: a logged decision",
    Scope.IDENTITY_READ: "GET /identity/...: a GCID's source records, lookups, match explanations",
    Scope.IDENTITY_WRITE: "POST /identity/merge and /identity/split (operator changes)",
    Scope.PII_READ: "unmasked PII (national ids, phones, e-mails, dates of birth) where a route shows it",
    Scope.TRANSACTION_READ: "GET /customer/{gcid}/transactions: the transaction timeline",
    Scope.RISK_READ: "GET /customer/{gcid}/risk: the risk profile",
    Scope.INTAKE_WRITE: "POST /v1/intake/channel-events: logins from the channel back ends",
    Scope.ADMIN: "reserved for administration; no route requires it today and it implies no other scope",
}

KNOWN_SCOPES: Final[frozenset[str]] = frozenset(str(scope) for scope in Scope)

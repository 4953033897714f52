"""Identity errors.

EnterpriseBrainError
└── IdentityError (422)
    ├── UnknownGcid (404)
    ├── UnknownSourceRecord (404)
    └── InvalidIdentityOperation (409)   e.g. splitting records that are not in the GCID
"""

from __future__ import annotations

from pipelines.errors import EnterpriseBrainError

__all__ = ["IdentityError", "InvalidIdentityOperation", "UnknownGcid", "UnknownSourceRecord"]


class IdentityError(EnterpriseBrainError):
    status = 422
    code = "identity-error"


class UnknownGcid(IdentityError):
    status = 404
    code = "unknown-gcid"


class UnknownSourceRecord(IdentityError):
    status = 404
    code = "unknown-source-record"


class InvalidIdentityOperation(IdentityError):
    status = 409
    code = "invalid-identity-operation"

"""Identity errors.

EnterpriseBrainError
└── IdentityError (422)
    ├── UnknownGcid (404)
    ├── UnknownSourceRecord (404)
    ├── InvalidIdentityOperation (409)   e.g. splitting records that are not in the GCID
    └── InvalidSettings (422)            every problem of an IdentitySettings at once
"""

from __future__ import annotations

from kernel.errors import EnterpriseBrainError

__all__ = [
    "IdentityError",
    "InvalidIdentityOperation",
    "InvalidSettings",
    "UnknownGcid",
    "UnknownSourceRecord",
]


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


class InvalidSettings(IdentityError):
    """Every problem found in an :class:`identity.IdentitySettings`, reported at once."""

    status = 422
    code = "invalid-identity-settings"

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = tuple(errors)

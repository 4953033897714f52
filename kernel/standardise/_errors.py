"""The error raised by every standardiser, and the helpers that keep PII out of its message.

EnterpriseBrainError
└── InvalidEvent (422)                      the event goes to ``<topic>.dlq``
    └── StandardisationError (422, ``invalid-field``)   one field, named in ``field``
"""

from __future__ import annotations

from typing import Final

from kernel.errors import InvalidEvent

__all__ = ["StandardisationError", "is_blank", "mask", "show"]

#: Values that sources use to mean "no value"; only the ``*_or_none`` variants treat them as blank.
_NULL_MARKERS: Final = frozenset({"", "null", "none", "nil", "n/a", "na", "-"})


class StandardisationError(InvalidEvent):
    """A field value that cannot be brought to its standard form.

    ``detail`` names the field and shows the offending value, masked when the field is PII
    (only its last three characters are kept), e.g. ``phone: not a valid number (got '***678')``.
    """

    code = "invalid-field"

    def __init__(self, field: str, reason: str, shown: str) -> None:
        super().__init__(f"{field}: {reason} (got {shown})")
        self.field = field
        self.reason = reason


def mask(value: object) -> str:
    """A PII value reduced to its last three characters, e.g. ``'***678'``."""
    text = str(value)
    return repr("***" + (text[-3:] if len(text) > 3 else ""))


def show(value: object, limit: int = 40) -> str:
    """A non-PII value as it may appear in an error message (``repr``, truncated)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_blank(raw: object) -> bool:
    """True for ``None``, whitespace-only strings and common null markers (``NULL``, ``N/A``, ``-``)."""
    return raw is None or (isinstance(raw, str) and raw.strip().casefold() in _NULL_MARKERS)

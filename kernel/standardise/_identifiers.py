"""Identity documents and card numbers.

National ids: prefixes seen in the sources (``ID12345678``, ``ID:``, ``ID-``, ``KE-ID-00001``,
``KEID``, ``NID``, ``ID No.``, ``National ID``) are stripped when digits follow, then spaces, dashes,
dots, slashes and underscores are removed. What remains must be either

* 5–10 digits, not all zeros (Kenyan national ids are 7–8 digits; the seed data uses shorter,
  zero-padded ones such as ``KE-ID-00001``). **Leading zeros are kept**: no Kenyan id starts with a zero,
  so a zero-padded value is an artefact of one system, and stripping it could make two different
  identifiers equal; identity matching can compare ``lstrip("0")`` forms as weaker evidence if needed;
* or 5–20 upper-cased letters and digits with at least one of each (passports such as ``AK0123456``,
  business registration numbers such as ``CPR/2015/123456`` → ``CPR2015123456``). The sources do not
  record the document type, so none is inferred here.

Card numbers become a :class:`CardToken` (last four digits and an HMAC-SHA256 of the digits); the PAN is
validated with the Luhn check and never kept, logged or shown in an error.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from kernel.errors import ConfigurationError
from kernel.standardise._errors import StandardisationError, is_blank, mask

__all__ = ["CardToken", "card_token", "card_token_or_none", "national_id", "national_id_or_none"]

_ID_FIELD: Final = "national_id"
_ID_PREFIX: Final = re.compile(
    r"^(?:KE[\s\-_:]*)?(?:NATIONAL[\s\-_]*ID|NID|ID)(?:[\s\-_:#.]*(?:NO|NUMBER)\b\.?)?[\s\-_:#.]*(?=\d)"
)
_ID_SEPARATORS: Final = re.compile(r"[\s\-_./]")
_DIGITS_AND_SEPARATORS: Final = re.compile(r"[\d\s\-_./]+")
_NUMERIC_ID: Final = re.compile(r"\d{5,10}")
_DOCUMENT_ID: Final = re.compile(r"(?=.*\d)(?=.*[A-Z])[A-Z0-9]{5,20}")

_PAN_FIELD: Final = "card_number"
_PAN_SEPARATORS: Final = re.compile(r"[\s\-]")
_PAN: Final = re.compile(r"\d{12,19}")
_MIN_KEY_BYTES: Final = 16


def national_id(raw: str | int) -> str:
    """``raw`` without prefixes or separators, upper-cased; raises :class:`StandardisationError`."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise StandardisationError(_ID_FIELD, f"expected text, not {type(raw).__name__}", mask(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip().upper()
    if not text:
        raise StandardisationError(_ID_FIELD, "is empty", mask(text))
    prefix = _ID_PREFIX.match(text)
    if prefix and _DIGITS_AND_SEPARATORS.fullmatch(text[prefix.end() :]):
        text = text[prefix.end() :]
    compact = _ID_SEPARATORS.sub("", text)
    if _NUMERIC_ID.fullmatch(compact):
        if not compact.strip("0"):
            raise StandardisationError(_ID_FIELD, "is all zeros (a placeholder)", mask(raw))
        return compact
    if _DOCUMENT_ID.fullmatch(compact):
        return compact
    raise StandardisationError(
        _ID_FIELD,
        "is not an id (5-10 digits, or 5-20 letters and digits including a digit)",
        mask(raw),
    )


def national_id_or_none(raw: str | int | None) -> str | None:
    """Like :func:`national_id`, but ``None`` for a blank value or a null marker."""
    return None if raw is None or is_blank(raw) else national_id(raw)


@dataclass(frozen=True, slots=True)
class CardToken:
    """What the Brain keeps of a card number: never the PAN itself."""

    last4: str
    hash: str  # HMAC-SHA256 (hex) of the digits-only PAN


def card_token(pan: str, key: bytes) -> CardToken:
    """Tokenise a PAN (spaces and dashes allowed); raises :class:`StandardisationError`.

    ``key`` is the HMAC secret (at least 16 bytes) from settings; rotating it changes every hash.
    """
    if not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES:
        raise ConfigurationError(f"card token key must be at least {_MIN_KEY_BYTES} bytes")
    if not isinstance(pan, str):
        raise StandardisationError(_PAN_FIELD, f"expected text, not {type(pan).__name__}", "'***'")
    digits = _PAN_SEPARATORS.sub("", pan.strip())
    if "*" in digits or "X" in digits.upper():
        raise StandardisationError(_PAN_FIELD, "is already masked and cannot be tokenised", mask(digits))
    if not _PAN.fullmatch(digits):
        raise StandardisationError(_PAN_FIELD, "is not 12-19 digits", mask(digits))
    if not _luhn_ok(digits):
        raise StandardisationError(_PAN_FIELD, "fails the Luhn check", mask(digits))
    digest = hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()
    return CardToken(last4=digits[-4:], hash=digest)


def card_token_or_none(pan: str | None, key: bytes) -> CardToken | None:
    """Like :func:`card_token`, but ``None`` for a blank value or a null marker."""
    return None if pan is None or is_blank(pan) else card_token(pan, key)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0

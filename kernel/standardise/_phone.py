"""Phone numbers to E.164.

Accepted: every Kenyan form seen in the sources (``07XXXXXXXX``, ``01XXXXXXXX``, ``7XXXXXXXX``,
``2547XXXXXXXX``, ``+2547…``, ``+254 (0)7…``, ``(0712) 345-678``, ``00254…``/``000254…``) with spaces,
dashes, dots and brackets anywhere; numbers of other countries when written with ``+`` or an
international prefix (``00``/``000``). A number without a country code is read in ``default_region``.

Validity is decided by :func:`phonenumbers.is_valid_number` (the number must belong to an allocated
range of its country), not merely :func:`~phonenumbers.is_possible_number` (length only): phones are
matching keys, and a wrong-length typo or a truncated placeholder must not become a key. Kenyan mobile
ranges 07xx and 01xx are valid in the bundled metadata (``phonenumbers`` ≥ 8.13); keep it current.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import phonenumbers

from kernel.standardise._errors import StandardisationError, is_blank, mask

__all__ = ["phone_e164", "phone_e164_or_none"]

_FIELD: Final = "phone"
_SEPARATORS: Final = re.compile(r"[\s\-.()\u00a0]")
_SHAPE: Final = re.compile(r"\+?\d{4,20}")
_TEL_URI: Final = re.compile(r"^tel:", re.IGNORECASE)
_TRUNK_IN_BRACKETS: Final = re.compile(r"\(\s*0\s*\)")
# ``00`` is the international prefix almost everywhere, Kenya's own is ``000``.
_INTERNATIONAL_PREFIX: Final = re.compile(r"^000?(?=[1-9])")


def phone_e164(raw: str | int, default_region: str = "KE") -> str:
    """``raw`` as an E.164 string (``+254712345678``); raises :class:`StandardisationError`."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise StandardisationError(_FIELD, f"expected text, not {type(raw).__name__}", mask(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        raise StandardisationError(_FIELD, "is empty", mask(text))
    compact = _SEPARATORS.sub("", _TRUNK_IN_BRACKETS.sub("", _TEL_URI.sub("", text)))
    if not _SHAPE.fullmatch(compact):
        raise StandardisationError(_FIELD, "is not a phone number (digits and separators only)", mask(text))
    if not compact.startswith("+"):
        compact = _INTERNATIONAL_PREFIX.sub("+", compact)
    try:
        number = phonenumbers.parse(compact, default_region)
    except phonenumbers.NumberParseException as exc:
        raise StandardisationError(_FIELD, f"cannot be parsed: {exc}", mask(text)) from None
    if not phonenumbers.is_valid_number(number):
        raise StandardisationError(_FIELD, f"is not a valid number (region {default_region})", mask(text))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_e164_or_none(raw: str | int | None, default_region: str = "KE") -> str | None:
    """Like :func:`phone_e164`, but ``None`` for a blank value or a null marker."""
    return None if raw is None or is_blank(raw) else phone_e164(raw, default_region)

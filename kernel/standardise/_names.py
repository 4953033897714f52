"""Person names: a display form and a matching key.

:func:`person_name` applies Unicode NFKC, trims, collapses whitespace, unifies apostrophes and dashes,
and fixes the case of each word that arrived in one case only (``JOHN`` / ``john`` → ``John``); a word
already in mixed case (``McDonald``, ``DeShawn``) is kept as written. Hyphenated parts are capitalised
separately (``Mary-Jane``); after an apostrophe only a one-letter prefix triggers a capital
(``O'Brien``, ``D'Souza``, but ``Thiong'o``). Particles (``wa``, ``arap``, ``bin``, ``binti``, ``van``,
``de``, ``da``, ``von``…) are lower-cased unless they open the name (``Ngugi wa Thiong'o``,
``Daniel arap Moi``). Letters, combining marks, spaces, ``'``, ``-`` and ``.`` are allowed; digits, other
symbols and placeholder words (``Unknown``, ``Null``, ``Test``) are rejected. Name order is never
changed, so a comma (``Mwangi, John``) is rejected rather than guessed at.

:func:`name_key` is the form used for matching: the validated name, accents stripped, case-folded,
apostrophes and dots removed, hyphens turned into spaces (``Ngũgĩ wa Thiong'o`` → ``ngugi wa thiongo``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from kernel.standardise._errors import StandardisationError, is_blank, mask

__all__ = ["name_key", "name_key_or_none", "person_name", "person_name_or_none"]

_FIELD: Final = "name"
_MAX_LENGTH: Final = 200
_APOSTROPHES: Final = re.compile(r"[\u2018\u2019\u02bc\u02bb`\u00b4]")
_DASHES: Final = re.compile(r"[\u2010-\u2015\u2212]")
_PARTICLES: Final = frozenset(
    {"wa", "arap", "bin", "binti", "bint", "ibn", "van", "von", "der", "den", "de", "del", "della",
     "di", "da", "das", "do", "dos", "du", "la", "le"}
)  # fmt: skip
_PLACEHOLDERS: Final = frozenset({"unknown", "null", "none", "nil", "test", "na", "n a", "xxx", "customer"})


def person_name(raw: str) -> str:
    """``raw`` as a display name; raises :class:`StandardisationError`."""
    if not isinstance(raw, str):
        raise StandardisationError(_FIELD, f"expected text, not {type(raw).__name__}", mask(raw))
    text = unicodedata.normalize("NFKC", raw)
    text = " ".join(_DASHES.sub("-", _APOSTROPHES.sub("'", text)).split())
    if not text:
        raise StandardisationError(_FIELD, "is empty", mask(text))
    if len(text) > _MAX_LENGTH:
        raise StandardisationError(_FIELD, f"is longer than {_MAX_LENGTH} characters", mask(text))
    for char in text:
        if not (char.isalpha() or char in " '-." or unicodedata.category(char).startswith("M")):
            raise StandardisationError(
                _FIELD, f"contains a character not allowed in a name ({char!r})", mask(text)
            )
    if not any(char.isalpha() for char in text):
        raise StandardisationError(_FIELD, "has no letters", mask(text))
    if _key(text) in _PLACEHOLDERS:
        raise StandardisationError(_FIELD, "is a placeholder, not a name", mask(text))
    words = text.split(" ")
    return " ".join(
        word.lower() if index and word.lower() in _PARTICLES else _case_word(word)
        for index, word in enumerate(words)
    )


def person_name_or_none(raw: str | None) -> str | None:
    """Like :func:`person_name`, but ``None`` for a blank value or a null marker."""
    return None if raw is None or is_blank(raw) else person_name(raw)


def name_key(raw: str) -> str:
    """The matching key of a name (validated like :func:`person_name`)."""
    return _key(person_name(raw))


def name_key_or_none(raw: str | None) -> str | None:
    """Like :func:`name_key`, but ``None`` for a blank value or a null marker."""
    return None if raw is None or is_blank(raw) else name_key(raw)


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join(bare.replace("'", "").replace(".", " ").replace("-", " ").split())


def _case_word(word: str) -> str:
    if not (word.islower() or word.isupper()):
        return word  # mixed case was typed on purpose: McDonald, DeShawn
    return "-".join(_case_part(part) for part in word.split("-"))


def _case_part(part: str) -> str:
    head, apostrophe, tail = part.partition("'")
    if apostrophe and len(head) == 1 and tail:
        return head.upper() + "'" + tail[:1].upper() + tail[1:].lower()
    return part[:1].upper() + part[1:].lower()

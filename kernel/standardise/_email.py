"""Email addresses: trimmed, lower-cased, shape-checked; synthetic ones flagged.

The whole address is lower-cased (local parts are case-sensitive in theory, never in practice at the
bank's providers). No provider-specific rewriting (Gmail dots, ``+tags``) is done: that would merge
addresses their owners consider distinct. Internationalised domains are stored in their ASCII
(punycode) form so that one domain has one spelling.

Synthetic addresses (``<guid>@vif.local`` minted by v1-Core's VIF registration, RFC 2606/6761 test
domains, and placeholder mailboxes such as ``noemail@…``) are carried on records but must never be used
as a matching key: check :func:`is_synthetic_email` before matching.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from kernel.standardise._errors import StandardisationError, is_blank, mask

__all__ = ["SYNTHETIC_EMAIL_DOMAINS", "email", "email_or_none", "is_synthetic_email"]

_FIELD: Final = "email"
_LOCAL: Final = re.compile(r"[^\s@\"(),:;<>\[\]\\]{1,64}")
_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TLD: Final = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_MAILTO: Final = re.compile(r"^mailto:", re.IGNORECASE)

#: Domains (and their subdomains) that never belong to a real customer mailbox.
SYNTHETIC_EMAIL_DOMAINS: Final = frozenset(
    {"local", "localhost", "invalid", "test", "example", "example.com", "example.org", "example.net"}
)
#: Local parts that clerks type when a customer has no email.
_PLACEHOLDER_MAILBOXES: Final = frozenset(
    {"noemail", "no-email", "no.email", "no_email", "nomail", "none", "null", "na", "unknown"}
)


def email(raw: str) -> str:
    """``raw`` trimmed and lower-cased; raises :class:`StandardisationError` if it is not an address."""
    if not isinstance(raw, str):
        raise StandardisationError(_FIELD, f"expected text, not {type(raw).__name__}", mask(raw))
    text = _MAILTO.sub("", unicodedata.normalize("NFKC", raw).strip()).lower()
    if not text:
        raise StandardisationError(_FIELD, "is empty", mask(text))
    local, at, domain = text.rpartition("@")
    if not at or "@" in local:
        raise StandardisationError(_FIELD, "must contain exactly one '@'", mask(text))
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise StandardisationError(_FIELD, "has an invalid local part", mask(text))
    domain = domain.rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise StandardisationError(_FIELD, "has an invalid domain", mask(text)) from None
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253:
        raise StandardisationError(_FIELD, "domain needs a dot (e.g. name@example.co.ke)", mask(text))
    if not all(_LABEL.fullmatch(label) for label in labels) or not _TLD.fullmatch(labels[-1]):
        raise StandardisationError(_FIELD, "has an invalid domain", mask(text))
    return f"{local}@{domain}"


def email_or_none(raw: str | None) -> str | None:
    """Like :func:`email`, but ``None`` for a blank value or a null marker."""
    return None if raw is None or is_blank(raw) else email(raw)


def is_synthetic_email(address: str) -> bool:
    """True when ``address`` is synthetic or a placeholder and so must never be used for matching.

    Anything that is not an address at all (no ``@``) also counts as synthetic: it can never match.
    """
    local, at, domain = address.strip().lower().rpartition("@")
    if not at or not local:
        return True
    domain = domain.rstrip(".")
    labels = domain.split(".")
    suffixes = {".".join(labels[i:]) for i in range(len(labels))}
    return bool(suffixes & SYNTHETIC_EMAIL_DOMAINS) or local in _PLACEHOLDER_MAILBOXES

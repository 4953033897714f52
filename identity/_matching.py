"""Deterministic matching with guards: identifiers are evidence, never proof on their own.

* national id equal, and the names or the dates of birth agree → match;
* phone or email equal, the names agree, and neither national ids nor dates of birth conflict → match;
* two different national ids, or two different dates of birth with different names → never a match.

So a household sharing a phone (different names) or an agent's phone does not merge people.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from identity._record import IdentityRecord

__all__ = ["Evidence", "MatchDecision", "match", "name_key"]

NAME_AGREEMENT = 88.0


@dataclass(frozen=True, slots=True)
class Evidence:
    attribute: str
    level: str  # "exact" | "fuzzy" | "conflict" | "different" | "null"
    weight: float


@dataclass(frozen=True, slots=True)
class MatchDecision:
    is_match: bool
    evidence: tuple[Evidence, ...]


def name_key(name: str | None) -> str:
    if not name:
        return ""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def _full_name(r: IdentityRecord) -> str:
    parts = [r.first_name or "", r.last_name or ""]
    joined = " ".join(p for p in parts if p)
    return name_key(joined or r.name)


def _name_evidence(a: IdentityRecord, b: IdentityRecord) -> Evidence:
    na, nb = _full_name(a), _full_name(b)
    if not na or not nb:
        return Evidence("name", "null", 0.0)
    if na == nb:
        return Evidence("name", "exact", 1.0)
    score = fuzz.token_sort_ratio(na, nb)
    if score >= NAME_AGREEMENT:
        return Evidence("name", "fuzzy", score / 100)
    # one name contained in the other ("Wanjiru Kamau" vs "Grace Wanjiru Kamau")
    ta, tb = set(na.split()), set(nb.split())
    if len(ta & tb) >= 2 or (min(len(ta), len(tb)) == 1 and ta & tb and len(ta | tb) <= 3):
        return Evidence("name", "fuzzy", 0.9)
    return Evidence("name", "different", -1.0)


def _dob_evidence(a: IdentityRecord, b: IdentityRecord) -> Evidence:
    if a.date_of_birth is None or b.date_of_birth is None:
        return Evidence("date_of_birth", "null", 0.0)
    if a.date_of_birth == b.date_of_birth:
        return Evidence("date_of_birth", "exact", 1.0)
    da, db = a.date_of_birth, b.date_of_birth
    if da.year == db.year and da.month == db.day and da.day == db.month:
        return Evidence("date_of_birth", "fuzzy", 0.7)  # day and month swapped
    return Evidence("date_of_birth", "different", -1.0)


def _shared(attribute: str, xs: tuple[str, ...], ys: tuple[str, ...]) -> Evidence:
    if not xs or not ys:
        return Evidence(attribute, "null", 0.0)
    if set(xs) & set(ys):
        return Evidence(attribute, "exact", 1.0)
    return Evidence(attribute, "different", 0.0)


def match(a: IdentityRecord, b: IdentityRecord) -> MatchDecision:
    name = _name_evidence(a, b)
    dob = _dob_evidence(a, b)
    if a.national_id and b.national_id:
        same = a.national_id == b.national_id
        nid = Evidence("national_id", "exact" if same else "conflict", 1.0 if same else -1.0)
    else:
        nid = Evidence("national_id", "null", 0.0)
    phone = _shared("phone", a.phones, b.phones)
    email = _shared("email", a.emails, b.emails)
    evidence = (nid, phone, email, name, dob)

    if nid.level == "conflict":
        return MatchDecision(False, evidence)
    if dob.level == "different" and name.level == "different":
        return MatchDecision(False, evidence)
    if nid.level == "exact":
        agrees = name.level in ("exact", "fuzzy") or dob.level in ("exact", "fuzzy")
        return MatchDecision(agrees, evidence)
    if phone.level == "exact" or email.level == "exact":
        agrees = name.level in ("exact", "fuzzy") and dob.level != "different"
        return MatchDecision(agrees, evidence)
    return MatchDecision(False, evidence)

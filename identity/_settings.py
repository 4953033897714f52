"""``IdentitySettings``: blocking rules, comparisons of ordered levels, thresholds, trained weights.

JSON-serialisable and versioned (like Splink's settings dictionary). Validation collects every
problem and reports them together in one :class:`identity.errors.InvalidSettings`.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from identity.errors import InvalidSettings

__all__ = [
    "FIELDS",
    "BlockingRule",
    "Comparison",
    "Exclusion",
    "IdentitySettings",
    "Level",
    "block_on",
    "default_settings",
]

#: Identity fields a mapping can fill (all standardised strings; ``dob`` is ``YYYYMMDD``).
FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "sex",
    "national_id",
    "phone",
    "email",
    "device_id",
    "street_number",
    "street",
    "unit",
    "city",
    "postcode",
)
#: Derived from the fields above, usable in blocking rules only.
DERIVED = ("dob_year", "first_initial", "middle_initial", "last_initial")

LevelKind = Literal[
    "exact",  # equal
    "jaro_winkler",  # Jaro-Winkler similarity >= threshold
    "levenshtein",  # edit distance <= threshold
    "nickname",  # same canonical given name (Bill ~ William)
    "transposed",  # equal to the other record's ``other_field`` (first/last name swapped)
    "initial",  # one of the two is an initial of the other
    "swapped_day_month",  # dates: same year, day and month exchanged
    "same_year_month",  # dates
    "same_year",  # dates
]


class Level(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: LevelKind
    threshold: float | None = None
    other_field: str | None = None
    m: float | None = None
    u: float | None = None

    @property
    def label(self) -> str:
        if self.kind in ("jaro_winkler", "levenshtein"):
            return f"{self.kind}({self.threshold:g})" if self.threshold is not None else f"{self.kind}(?)"
        if self.kind == "transposed":
            return f"transposed({self.other_field})"
        return self.kind


class Comparison(BaseModel):
    """Levels are tried in order after the null check; a pair that meets none is at ``else``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    field: str
    levels: tuple[Level, ...]
    else_m: float | None = None
    else_u: float | None = None
    #: weigh an exact agreement by how common the value is, as Splink's term-frequency adjustment
    #: does: a common surname is weaker evidence than the average, a rare one stronger
    term_frequency: bool = False


class BlockingRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fields: tuple[str, ...]

    def __str__(self) -> str:
        return "block_on(" + ", ".join(repr(f) for f in self.fields) + ")"


class Exclusion(BaseModel):
    """Deterministic evidence against a link: a pair at one of the listed levels of *every* listed
    comparison is never linked, whatever its weight (e.g. twins: surname, birthday and address
    agree, which independent weights overrate, but the given names all disagree)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    #: comparison name → level labels (``Level.label`` or ``else``); null never holds
    levels: dict[str, tuple[str, ...]]


def block_on(*fields: str) -> BlockingRule:
    """Candidate pairs agree exactly on every one of ``fields`` (several rules are OR-ed)."""
    return BlockingRule(fields=tuple(fields))


class IdentitySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "default"
    version: int = 1
    comparisons: tuple[Comparison, ...]
    blocking_rules: tuple[BlockingRule, ...]
    #: rules whose pairs EM trains on (default: the blocking rules); few, broad, independent ones
    training_rules: tuple[BlockingRule, ...] = ()
    #: prior probability that two records of a blocked pair are the same person
    prior: float = Field(default=1e-4, gt=0, lt=1)
    #: link when the match probability reaches this
    match_threshold: float = Field(default=0.9, gt=0, lt=1)
    #: a block key shared by more records than this takes part only with its first ``max_block``
    max_block: int = Field(default=100, ge=2)
    trained: bool = False
    #: comparison name → value → its share of the training records (values never seen in training
    #: keep the exact level's average weight)
    term_frequencies: dict[str, dict[str, float]] = Field(default_factory=dict)
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def settings_version(self) -> str:
        """Name, version and a digest of the content: what lineage records."""
        digest = hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:10]
        return f"{self.name}-v{self.version}-{digest}"

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> IdentitySettings:
        settings = cls.model_validate_json(text)
        settings.validate_all()
        return settings

    def validate_all(self) -> None:
        """Raise :class:`InvalidSettings` listing every problem found."""
        errors: list[str] = []
        names: set[str] = set()
        for c in self.comparisons:
            if c.name in names:
                errors.append(f"comparison {c.name!r}: duplicate name")
            names.add(c.name)
            if c.field not in FIELDS:
                errors.append(f"comparison {c.name!r}: unknown field {c.field!r}")
            if not c.levels:
                errors.append(f"comparison {c.name!r}: no levels")
            for i, lv in enumerate(c.levels):
                where = f"comparison {c.name!r} level {i} ({lv.kind})"
                if lv.kind in ("jaro_winkler", "levenshtein") and lv.threshold is None:
                    errors.append(f"{where}: threshold required")
                if lv.kind == "jaro_winkler" and lv.threshold is not None and not 0 < lv.threshold <= 1:
                    errors.append(f"{where}: threshold must be in (0, 1]")
                if lv.kind == "transposed" and lv.other_field not in FIELDS:
                    errors.append(f"{where}: other_field must be one of the fields")
                for p, v in (("m", lv.m), ("u", lv.u)):
                    if v is not None and not 0 <= v <= 1:
                        errors.append(f"{where}: {p} must be a probability")
        labels = {c.name: {lv.label for lv in c.levels} | {"else"} for c in self.comparisons}
        for ex in self.exclusions:
            if not ex.levels:
                errors.append(f"exclusion {ex.name!r}: no levels")
            for comp, wanted in ex.levels.items():
                if comp not in labels:
                    errors.append(f"exclusion {ex.name!r}: unknown comparison {comp!r}")
                elif unknown := sorted(set(wanted) - labels[comp]):
                    errors.append(f"exclusion {ex.name!r}: {comp!r} has no levels {unknown}")
        if not self.blocking_rules:
            errors.append("at least one blocking rule is required")
        for r in self.blocking_rules + self.training_rules:
            bad = [f for f in r.fields if f not in FIELDS and f not in DERIVED]
            if not r.fields:
                errors.append(f"{r}: no fields")
            if bad:
                errors.append(f"{r}: unknown fields {bad}")
        if self.trained:
            for c in self.comparisons:
                ms = [lv.m for lv in c.levels] + [c.else_m]
                us = [lv.u for lv in c.levels] + [c.else_u]
                if any(v is None for v in ms + us):
                    errors.append(f"comparison {c.name!r}: trained settings need m and u on every level")
        if errors:
            raise InvalidSettings(errors)

    def weights(self) -> list[list[float]]:
        """log2(m/u) per comparison, per level (``else`` last)."""
        out: list[list[float]] = []
        for c in self.comparisons:
            ms = [lv.m for lv in c.levels] + [c.else_m]
            us = [lv.u for lv in c.levels] + [c.else_u]
            row = []
            for m, u in zip(ms, us, strict=True):
                mm = max(m if m is not None else 0.5, 1e-6)
                uu = max(u if u is not None else 0.5, 1e-6)
                row.append(math.log2(mm / uu))
            out.append(row)
        return out


def _lv(kind: LevelKind, threshold: float | None = None, other: str | None = None) -> Level:
    return Level(kind=kind, threshold=threshold, other_field=other)


def _name(field: str, other: str | None) -> Comparison:
    levels = [_lv("exact")]
    if field == "first_name":
        levels.append(_lv("nickname"))
    levels += [_lv("jaro_winkler", 0.95), _lv("jaro_winkler", 0.88)]
    if other:
        levels.append(_lv("transposed", other=other))
    levels += [_lv("initial"), _lv("jaro_winkler", 0.7)]
    return Comparison(name=field, field=field, levels=tuple(levels), term_frequency=True)


#: Twins and other household members agree on surname, birthday and address: not one person when
#: both given names disagree outright (a missing middle name is no evidence either way).
GIVEN_NAMES_DIFFER = Exclusion(
    name="given names differ", levels={"first_name": ("else",), "middle_name": ("else",)}
)

#: Household members of the other sex often share a surname, a birthday copied between records and
#: an address: not one person when the first name and the sex both disagree (a nickname is a level
#: of its own, and a missing sex is no evidence either way).
FIRST_NAME_AND_SEX_DIFFER = Exclusion(
    name="first name and sex differ", levels={"first_name": ("else",), "sex": ("else",)}
)

#: Initials first: two equal initials ("j", "j") are an initial's agreement, not a full name's.
MIDDLE_NAME = Comparison(name="middle_name", field="middle_name", levels=(_lv("initial"), _lv("exact")))


def person_comparisons() -> tuple[Comparison, ...]:
    """The comparisons every person template shares: names, middle name, date of birth, sex, national
    id, phone, e-mail and device (address comparisons are added where the records carry one)."""
    return (
        _name("first_name", "last_name"),
        MIDDLE_NAME,
        _name("last_name", "first_name"),
        Comparison(
            name="dob",
            field="dob",
            levels=(
                _lv("exact"),
                _lv("swapped_day_month"),
                _lv("levenshtein", 1),
                _lv("same_year_month"),
                _lv("levenshtein", 2),
                _lv("same_year"),
            ),
        ),
        Comparison(name="sex", field="sex", levels=(_lv("exact"),)),
        Comparison(name="national_id", field="national_id", levels=(_lv("exact"), _lv("levenshtein", 1))),
        Comparison(name="phone", field="phone", levels=(_lv("exact"), _lv("levenshtein", 1))),
        Comparison(name="email", field="email", levels=(_lv("exact"), _lv("levenshtein", 1))),
        Comparison(name="device_id", field="device_id", levels=(_lv("exact"),)),
    )


def default_settings() -> IdentitySettings:
    """Untrained defaults for person records; train with :func:`identity.train`."""
    comparisons = (
        *person_comparisons(),
        # the street number is part of ``street`` (one address comparison: two would double-count)
        Comparison(
            name="street",
            field="street",
            levels=(_lv("exact"), _lv("jaro_winkler", 0.9), _lv("jaro_winkler", 0.8)),
        ),
        Comparison(name="city", field="city", levels=(_lv("exact"), _lv("jaro_winkler", 0.88))),
        Comparison(name="postcode", field="postcode", levels=(_lv("exact"), _lv("levenshtein", 1))),
    )
    blocking = (
        block_on("national_id"),
        block_on("phone"),
        block_on("email"),
        block_on("first_name", "last_name"),
        block_on("last_name", "dob"),
        block_on("first_name", "dob"),
        block_on("dob", "postcode"),
        block_on("first_initial", "last_name", "dob_year"),
        block_on("last_name", "postcode"),
        block_on("first_name", "postcode"),
        block_on("dob", "street"),
        block_on("first_name", "street"),
        block_on("first_name", "middle_name", "dob_year"),
    )
    training = (
        block_on("dob"),
        block_on("first_name", "last_name"),
        block_on("national_id"),
        block_on("phone"),
        block_on("email"),
    )
    return IdentitySettings(
        comparisons=comparisons,
        blocking_rules=blocking,
        training_rules=training,
        exclusions=(GIVEN_NAMES_DIFFER, FIRST_NAME_AND_SEX_DIFFER),
    )

"""Declarative table mappings: one YAML file per source table → one canonical event type.

A mapping says which columns form the source key, which column holds the change time, and how
each payload field is computed from the row::

    system: v5
    table: Customers
    key: [Id]
    event: customer.changed
    occurred_at: [UpdatedAt, CreatedAt]      # first non-null
    identity_evidence: [national_id, phones, emails]
    fields:
      first_name: {column: FirstName, fn: person_name}
      phones: {columns: [PrimaryPhone, SecondaryPhone], fn: phone_e164}
      kyc_status: {column: KYCStatus, values: {Pending: pending, Verified: verified}}
      customer_type: {const: person}
      customer_source_key: {column: AccountId, lookup: {table: Accounts, key: Id, column: CustomerId}}
      card: {column: CardNumber, fn: card}   # → card_last4 + card_hash, the PAN never leaves

Functions (``fn``) are the ``*_or_none`` forms of :mod:`kernel.standardise` (blank → absent);
``maybe_phone``/``maybe_email`` also make a value of another kind absent instead of an error.
Fields may read inside JSON (``json_path``), scale numbers (``scale``) and chain lookups
(``lookup.then``). Tables may filter rows (``where``), derive event ids from columns instead of the
change position (``dedupe_on``), hide columns from staging (``sensitive``) and declare other schema
shapes (``aliases``, ``optional``; see :mod:`pipelines.connectors._shapes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.connectors.errors import MappingError

__all__ = [
    "EVENT_TYPES",
    "FUNCTIONS",
    "FieldRule",
    "Lookup",
    "TableMapping",
    "load_mapping",
    "load_mappings",
    "mappings_dir",
]

#: Event types a table can map to (the six input topics).
EVENT_TYPES = (
    "customer.changed",
    "account.changed",
    "transaction.posted",
    "login.attempted",
    "fraud.alert",
    "risk.score",
)

#: Names usable as ``fn`` in a mapping.
FUNCTIONS = (
    "text",
    "upper",
    "lower",
    "person_name",
    "national_id",
    "phone_e164",
    "email",
    "amount",
    "abs_amount",
    "currency",
    "date",
    "date_of_birth",
    "timestamp",
    "bool",
    "int",
    "float",
    "card",
    "mask_account",
    "maybe_phone",
    "maybe_email",
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Lookup(_Strict):
    """Resolve a value through another table of the same source (e.g. AccountId → CustomerId)."""

    table: str
    key: str
    column: str
    then: Lookup | None = Field(
        default=None, description="A second hop: the looked-up value is the key of another lookup."
    )


class FieldRule(_Strict):
    column: str | None = None
    columns: tuple[str, ...] = ()
    const: str | int | float | bool | None = None
    fn: Literal[FUNCTIONS] | None = None  # type: ignore[valid-type]
    values: dict[str, str | None] | None = Field(
        default=None, description="Map raw values (case-insensitive) to standard ones."
    )
    default: str | None = Field(default=None, description="Used when the column is null/blank.")
    otherwise: str | None = Field(
        default=None, description="With values: what an unlisted value becomes (absent: a row error)."
    )
    prefix: str = Field(default="", description="Prepended to the (text) result, e.g. a key namespace.")
    first: bool = Field(default=False, description="With columns: the first non-blank one, not a list.")
    lookup: Lookup | None = None
    json_path: str | None = Field(
        default=None,
        description="The column holds JSON: 'a.b' walks objects, '[k=v]' picks the first list item "
        "whose k equals v (case, spaces and underscores ignored), '[0]' an index.",
    )
    scale: float | None = Field(default=None, description="Multiply the numeric result (0-1 → 0-100).")
    required: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        sources = sum((self.column is not None, bool(self.columns), self.const is not None))
        if sources != 1:
            raise ValueError("a field needs exactly one of column, columns or const")
        return self


class TableMapping(_Strict):
    system: str = Field(pattern=r"^[a-z0-9_.-]+$")
    table: str
    schema_name: str | None = Field(default=None, alias="schema")
    key: tuple[str, ...] = Field(min_length=1)
    key_prefix: str = ""
    event: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    occurred_at: tuple[str, ...] = ()
    watermark: str | None = Field(
        default=None, description="Polling: a monotonically growing column (else the key)."
    )
    identity_evidence: tuple[str, ...] = ()
    variant: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_]+$",
        description="A second mapping of the same table: its event ids hash position + '/' + variant.",
    )
    deletes: bool = True
    time_from: Literal["commit", "columns"] = Field(
        default="commit",
        description="occurred_at: the change's commit time when the mode has one (state tables), "
        "or the occurred_at columns (facts with a business time, e.g. a transaction's ProcessedAt).",
    )
    source_tz: str = Field(
        default="Africa/Nairobi", description="Zone of the source's naive timestamps (EF Core UtcNow: UTC)."
    )
    skip_if_null: tuple[str, ...] = Field(
        default=(), description="Rows with any of these columns blank produce no event (not an error)."
    )
    aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Other schema shapes' names of a column (EF: Balance → Balance_Amount); the "
        "connector introspects the table at start and reads whichever exists.",
    )
    optional: bool = Field(default=False, description="The table is absent in some schema shapes.")
    where: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Only rows whose column holds one of these values (case-insensitive) map to events.",
    )
    dedupe_on: tuple[str, ...] = Field(
        default=(),
        description="Event ids hash these columns instead of the change position: every change of "
        "the row that leaves them equal re-sends the same event (e.g. a login per LastLoginAt).",
    )
    sensitive: tuple[str, ...] = Field(
        default=(), description="Columns never kept in clear in staging or the DLQ (PANs, CVVs, PINs)."
    )
    fields: dict[str, FieldRule]

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def name(self) -> str:
        return f"{self.system}.{self.table}"

    def columns(self) -> set[str]:
        """Every column the mapping reads from its own table."""
        cols = set(self.key) | set(self.occurred_at) | set(self.skip_if_null) | set(self.where)
        cols |= set(self.dedupe_on)
        if self.watermark:
            cols.add(self.watermark)
        for rule in self.fields.values():
            if rule.column:
                cols.add(rule.column)
            cols.update(rule.columns)
        return cols


def load_mapping(path: Path) -> TableMapping:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read: {exc}") from exc
    try:
        return TableMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise MappingError(f"{path}: {exc.error_count()} error(s): {problems}") from None


def mappings_dir() -> Path:
    return Path(__file__).with_name("mappings")


def load_mappings(system: str, root: Path | None = None) -> list[TableMapping]:
    """Every mapping of ``system`` (``mappings/<system>/*.yaml``), sorted by file name."""
    folder = (root or mappings_dir()) / system
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise MappingError(f"no mappings under {folder}")
    out = [load_mapping(f) for f in files]
    seen: set[tuple[str, str | None]] = set()
    for m in out:
        if (m.table, m.variant) in seen:
            raise MappingError(f"{folder}: two mappings of {m.table} need different 'variant's")
        seen.add((m.table, m.variant))
    wrong = [m.name for m in out if m.system != system]
    if wrong:
        raise MappingError(f"{folder}: mappings of another system: {', '.join(wrong)}")
    return out

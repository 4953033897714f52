"""Schema shapes: fit the mappings to the columns a source database really has.

One system can exist in several shapes (v1-Core ``WekezaCoreDB``: SQL seeds / full DDL vs EF
migrations, e.g. ``"Accounts"."Balance"`` vs ``"Balance_Amount"``; ``"Parties"`` only in the EF
shape). A mapping is written once, in one shape's names, and declares the others:

* ``aliases: {Balance: [Balance_Amount, BalanceAmount]}`` — other names of a column;
* ``optional: true`` — the table is absent in some shapes (its mapping is skipped there);
* a field whose column is missing in this database is dropped (a field with a ``default`` keeps
  it: every row takes the default); a required field, a key or a watermark that is missing is an error;
* a mapping whose ``where`` or ``skip_if_null`` column is missing can produce nothing: skipped.

The connector introspects ``information_schema.columns`` at start (:func:`table_columns`) and runs
the adapted mappings (:func:`adapt_mappings`); what was adapted is logged and returned as notes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

import psycopg

from pipelines.connectors._mapping import FieldRule, TableMapping
from pipelines.connectors.errors import ConnectorError, MappingError

__all__ = ["adapt_mapping", "adapt_mappings", "table_columns"]

log = logging.getLogger(__name__)


def table_columns(dsn: str, schema: str, tables: Iterable[str]) -> dict[str, set[str]]:
    """Columns of each existing table among ``tables`` (absent tables are not in the result)."""
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = ANY(%s)",
                (schema, list(tables)),
            ).fetchall()
    except psycopg.Error as exc:
        raise ConnectorError(f"cannot introspect the source: {exc}") from exc
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def _pick(column: str, present: set[str], aliases: Mapping[str, Sequence[str]]) -> str | None:
    if column in present:
        return column
    return next((alt for alt in aliases.get(column, ()) if alt in present), None)


def adapt_mapping(m: TableMapping, present: set[str] | None) -> tuple[TableMapping | None, list[str]]:
    """``m`` fitted to a table with columns ``present`` (None: no such table); and what changed."""
    if present is None:
        if m.optional:
            return None, [f"{m.name}: table absent in this shape, skipped"]
        raise MappingError(f"{m.name}: table {m.table!r} does not exist in the source")
    notes: list[str] = []

    def pick(column: str) -> str | None:
        return _pick(column, present, m.aliases)

    def must(column: str, what: str) -> str:
        found = pick(column)
        if found is None:
            raise MappingError(f"{m.name}: {what} column {column!r} is missing (has: {sorted(present)})")
        return found

    for column in (*m.where, *m.skip_if_null):
        if pick(column) is None:
            return None, [f"{m.name}: column {column!r} absent in this shape, mapping skipped"]
    data = m.model_dump(by_alias=True)
    data["key"] = [must(c, "key") for c in m.key]
    data["dedupe_on"] = [must(c, "dedupe_on") for c in m.dedupe_on]
    if m.watermark:
        data["watermark"] = must(m.watermark, "watermark")
    data["where"] = {pick(c): v for c, v in m.where.items()}
    data["skip_if_null"] = [pick(c) for c in m.skip_if_null]
    data["occurred_at"] = [found for c in m.occurred_at if (found := pick(c))]
    data["sensitive"] = [found for c in m.sensitive if (found := pick(c))]
    data["aliases"] = {}
    fields: dict[str, object] = {}
    for name, rule in m.fields.items():
        adapted = _adapt_rule(m, name, rule, pick, notes)
        if adapted is not None:
            fields[name] = adapted
    data["fields"] = fields
    return TableMapping.model_validate(data), notes


def _adapt_rule(
    m: TableMapping, name: str, rule: FieldRule, pick: Callable[[str], str | None], notes: list[str]
) -> dict[str, object] | None:
    data = rule.model_dump(exclude_defaults=True)
    if rule.const is not None:
        return data
    if rule.column is not None:
        found = pick(rule.column)
        if found is not None:
            data["column"] = found
            return data
        missing = [rule.column]
    else:
        cols = [found for c in rule.columns if (found := pick(c))]
        if cols:
            data["columns"] = cols
            return data
        missing = list(rule.columns)
    if rule.default is not None:  # the row never has the column: every row takes the default
        notes.append(f"{m.name}.{name}: {missing} absent in this shape, default {rule.default!r}")
        return data
    if rule.required:
        raise MappingError(f"{m.name}: required field {name!r}: column(s) {missing} missing")
    notes.append(f"{m.name}.{name}: {missing} absent in this shape, field dropped")
    return None


def adapt_mappings(
    mappings: Sequence[TableMapping], columns: Mapping[str, set[str]]
) -> tuple[list[TableMapping], list[str]]:
    """Every mapping fitted to ``columns`` (table → its columns); skipped ones are left out."""
    out: list[TableMapping] = []
    notes: list[str] = []
    for m in mappings:
        adapted, why = adapt_mapping(m, columns.get(m.table))
        notes += why
        if adapted is not None:
            out.append(adapted)
    for note in notes:
        log.info("schema shape: %s", note)
    if not out:
        raise MappingError("no mapping fits the source database (wrong database or schema?)")
    return out, notes

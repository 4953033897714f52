"""A captured change of one source row, and its mapping to a canonical event."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import ValidationError

from kernel.errors import EnterpriseBrainError
from kernel.events import (
    AccountChanged,
    BrainEvent,
    CustomerChanged,
    FraudAlertRaised,
    LoginAttempted,
    RiskScoreUpdated,
    TransactionPosted,
    make_event_id,
)
from kernel.standardise import (
    amount_or_none,
    card_token_or_none,
    currency_code,
    date_of_birth_or_none,
    email_or_none,
    national_id_or_none,
    person_name_or_none,
    phone_e164_or_none,
    utc_timestamp_or_none,
)
from pipelines.connectors._mapping import FieldRule, Lookup, TableMapping
from pipelines.connectors.errors import RowError

__all__ = ["Change", "LookupFn", "Mapper", "Op", "RawValue"]

Op = Literal["insert", "update", "delete"]
#: Raw values as captured: text (or None), whatever the engine's type; the mapping standardises.
RawValue = str | None
#: ``lookup(rule, value)`` → the looked-up column's raw value, or None when there is no such row.
LookupFn = Callable[[Lookup, str], RawValue]

_EVENTS: dict[str, type[BrainEvent]] = {
    "customer.changed": CustomerChanged,
    "account.changed": AccountChanged,
    "transaction.posted": TransactionPosted,
    "login.attempted": LoginAttempted,
    "fraud.alert": FraudAlertRaised,
    "risk.score": RiskScoreUpdated,
}
_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


@dataclass(frozen=True, slots=True)
class Change:
    """One change of one row, as a capture mode saw it."""

    table: str
    op: Op
    row: Mapping[str, RawValue]
    position: str
    committed_at: datetime | None = None


def raw_text(value: object) -> RawValue:
    """The text form every capture mode gives a value (as PostgreSQL's text output does)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _blank(value: RawValue) -> bool:
    return value is None or not value.strip() or value.strip().upper() in {"NULL", "N/A", "-"}


class Mapper:
    """Maps the changes of one table to events; a row that cannot be mapped raises :class:`RowError`."""

    def __init__(self, mapping: TableMapping, card_key: bytes, lookup: LookupFn | None = None) -> None:
        self.mapping = mapping
        self._card_key = card_key
        self._lookup = lookup
        self._event = _EVENTS[mapping.event]

    def scrub(self, row: Mapping[str, RawValue]) -> dict[str, RawValue]:
        """``row`` without card numbers in clear (staging and the DLQ keep this form)."""
        out = dict(row)
        for name in self.mapping.sensitive:
            secret = out.get(name)
            if secret:
                pan = "".join(c for c in secret if c.isdigit())
                out[name] = f"<card ****{pan[-4:]}>" if len(pan) >= 12 else "<redacted>"
        for rule in self.mapping.fields.values():
            if rule.fn == "card" and rule.lookup is None:
                for col in (rule.column, *rule.columns):
                    value = out.get(col) if col else None
                    if col and value:
                        digits = "".join(c for c in value if c.isdigit())
                        out[col] = f"<card ****{digits[-4:]}>"
        return out

    def source_key(self, row: Mapping[str, RawValue]) -> str:
        parts = []
        for col in self.mapping.key:
            value = row.get(col)
            if _blank(value):
                raise RowError(f"{self.mapping.name}: key column {col!r} is empty")
            assert value is not None
            parts.append(value.strip())
        return self.mapping.key_prefix + "|".join(parts)

    def map(self, change: Change) -> BrainEvent | None:
        """The event of ``change``; None for a delete the event type cannot express."""
        m = self.mapping
        if m.aliases:  # a row of another shape (replay, an unadapted mapping): read its names
            change = _unalias(change, m.aliases)
        key = self.source_key(change.row)
        deleted = change.op == "delete"
        if deleted and (not m.deletes or m.event not in ("customer.changed", "account.changed")):
            return None
        if any(_blank(change.row.get(col)) for col in m.skip_if_null):
            return None
        for col, allowed in m.where.items():
            if (change.row.get(col) or "").strip().lower() not in {a.lower() for a in allowed}:
                return None
        payload: dict[str, object] = {}
        errors: list[str] = []
        rules = sorted(m.fields.items(), key=lambda kv: kv[0] != "currency")  # amounts need it
        for name, rule in rules:
            try:
                self._apply(name, rule, change.row, payload)
            except EnterpriseBrainError as exc:
                errors.append(f"{name}: {exc.detail}")
            except (ValueError, ArithmeticError) as exc:
                errors.append(f"{name}: {exc}")
        if deleted:
            payload["deleted"] = True
        occurred = self._occurred_at(change, errors)
        if errors:
            raise RowError(f"{m.name}[{key}]: " + "; ".join(errors))
        id_position = (
            "dedupe:" + "|".join(change.row.get(col) or "" for col in m.dedupe_on)
            if m.dedupe_on
            else change.position
        )
        try:
            return self._event.model_validate(
                {
                    "event_id": make_event_id(
                        m.system, m.table, key, f"{id_position}/{m.variant}" if m.variant else id_position
                    ),
                    "source_system": m.system,
                    "source_table": m.table,
                    "source_key": key,
                    "occurred_at": occurred,
                    "position": change.position,
                    "payload": payload,
                }
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise RowError(f"{m.name}[{key}]: {problems}") from None

    def _occurred_at(self, change: Change, errors: list[str]) -> datetime:
        if self.mapping.time_from == "commit" and change.committed_at is not None:
            return change.committed_at
        for col in self.mapping.occurred_at:
            try:
                value = utc_timestamp_or_none(change.row.get(col), self.mapping.source_tz)
            except EnterpriseBrainError as exc:
                errors.append(f"occurred_at: {exc.detail}")
                continue
            if value is not None:
                return value
        if change.committed_at is not None:
            return change.committed_at
        errors.append(f"occurred_at: none of {list(self.mapping.occurred_at)} has a value")
        return datetime(1970, 1, 1).astimezone()

    def _raw(self, rule: FieldRule, column: str, row: Mapping[str, RawValue]) -> RawValue:
        value = row.get(column)
        lookup = rule.lookup
        while lookup is not None and not _blank(value):
            if self._lookup is None:
                raise RowError(f"lookup through {lookup.table} needs a source connection")
            assert value is not None
            value = self._lookup(lookup, value.strip())
            lookup = lookup.then
        if rule.json_path is not None and not _blank(value):
            assert value is not None
            value = json_get(value, rule.json_path)
        return value

    def _apply(self, name: str, rule: FieldRule, row: Mapping[str, RawValue], out: dict[str, object]) -> None:
        if rule.const is not None:
            out[name] = rule.const
            return
        if rule.columns and rule.first:
            for col in rule.columns:
                v = self._convert(name, rule, self._raw(rule, col, row), out)
                if v is not None:
                    out[name] = v
                    return
            if rule.required:
                raise RowError(f"all of {list(rule.columns)} are empty")
            return
        if rule.columns:
            values = []
            for col in rule.columns:
                v = self._convert(name, rule, self._raw(rule, col, row), out)
                if v is not None and v not in values:
                    values.append(v)
            out[name] = tuple(values)
            return
        assert rule.column is not None
        value = self._convert(name, rule, self._raw(rule, rule.column, row), out)
        if value is None:
            if rule.required:
                raise RowError(f"column {rule.column!r} is empty")
            return
        if rule.fn == "card":
            assert isinstance(value, tuple)
            out["card_last4"], out["card_hash"] = value
            return
        out[name] = value

    def _convert(self, name: str, rule: FieldRule, raw: RawValue, out: dict[str, object]) -> object:
        if _blank(raw):
            raw = rule.default
            if raw is None:
                return None
        assert raw is not None
        text = raw.strip()
        if rule.values is not None:
            lowered = {k.lower(): v for k, v in rule.values.items()}
            if text.lower() in lowered:
                mapped = lowered[text.lower()]
                if mapped is None:
                    return None
                text = mapped
            elif rule.otherwise is not None:
                text = rule.otherwise
            else:
                raise RowError(f"value {text[:40]!r} is not one of {sorted(rule.values)}")
        if rule.fn == "timestamp":
            return utc_timestamp_or_none(text, self.mapping.source_tz)
        value = _FUNCTIONS[rule.fn or "text"](text, out, self._card_key)
        if rule.scale is not None and isinstance(value, int | float):
            value = round(float(value) * rule.scale, 6)
        return rule.prefix + value if rule.prefix and isinstance(value, str) else value


def _unalias(change: Change, aliases: Mapping[str, tuple[str, ...]]) -> Change:
    row = dict(change.row)
    for column, others in aliases.items():
        if column not in row:
            found = next((o for o in others if o in row), None)
            if found is not None:
                row[column] = row[found]
    return Change(change.table, change.op, row, change.position, change.committed_at)


def _norm(text: object) -> str:
    return str(text).lower().replace(" ", "").replace("_", "").replace("-", "")


def json_get(text: str, path: str) -> RawValue:
    """The value at ``path`` in the JSON ``text`` (see ``FieldRule.json_path``); None when absent."""
    try:
        node: object = json.loads(text)
    except ValueError as exc:
        raise RowError(f"not JSON: {exc}") from None
    for part in path.replace("[", ".[").split("."):
        if not part or node is None:
            continue
        if part.startswith("[") and part.endswith("]"):
            inner = part[1:-1]
            if not isinstance(node, list):
                return None
            if "=" in inner:
                k, _, v = inner.partition("=")
                node = next(
                    (i for i in node if isinstance(i, dict) and _norm(i.get(k, "")) == _norm(v)), None
                )
            else:
                idx = int(inner)
                node = node[idx] if -len(node) <= idx < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return None
    if isinstance(node, dict | list):
        return json.dumps(node)
    return raw_text(node)


def _maybe(fn: Callable[[str], str | None]) -> Callable[[str, dict[str, object], bytes], object]:
    """A lenient standardiser: a value that is not of its kind is absent, not an error."""

    def convert(text: str, _out: dict[str, object], _key: bytes) -> object:
        try:
            return fn(text)
        except EnterpriseBrainError:
            return None

    return convert


def _amount(text: str, out: dict[str, object], _key: bytes) -> object:
    return amount_or_none(text, str(out.get("currency") or "KES"), strict=False)


def _bool(text: str, _out: dict[str, object], _key: bytes) -> object:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise RowError(f"{text[:20]!r} is not a boolean")


def _card(text: str, _out: dict[str, object], key: bytes) -> object:
    token = card_token_or_none(text, key)
    return None if token is None else (token.last4, token.hash)


def _mask_account(text: str, _out: dict[str, object], _key: bytes) -> object:
    return "*" * max(len(text) - 4, 0) + text[-4:]


_FUNCTIONS: dict[str, Callable[[str, dict[str, object], bytes], object]] = {
    "text": lambda t, _o, _k: t,
    "upper": lambda t, _o, _k: t.upper(),
    "lower": lambda t, _o, _k: t.lower(),
    "person_name": lambda t, _o, _k: person_name_or_none(t),
    "national_id": lambda t, _o, _k: national_id_or_none(t),
    "phone_e164": lambda t, _o, _k: phone_e164_or_none(t),
    "email": lambda t, _o, _k: email_or_none(t),
    "amount": _amount,
    "abs_amount": lambda t, o, k: _amount(t.lstrip("-"), o, k),
    "currency": lambda t, _o, _k: currency_code(t),
    "date": lambda t, _o, _k: date.fromisoformat(t[:10]),
    "date_of_birth": lambda t, _o, _k: date_of_birth_or_none(t[:10]),
    "bool": _bool,
    "int": lambda t, _o, _k: int(float(t)),
    "float": lambda t, _o, _k: float(t),
    "card": _card,
    "mask_account": _mask_account,
    "maybe_phone": _maybe(phone_e164_or_none),
    "maybe_email": _maybe(email_or_none),
}

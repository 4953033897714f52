"""A small, safe expression language for decision rules (no ``eval``).

Expressions use Python's *syntax* (parsed with :mod:`ast` in ``eval`` mode) but only a whitelisted
subset is accepted and it is interpreted here, never compiled or executed:

* literals: numbers, strings, ``true``/``false``/``null`` (also ``True``/``False``/``None``),
  lists/tuples/sets of literals;
* names: fields of the decision context (``amount``, ``features.txn_count_24h`` …), dotted;
* ``and`` / ``or`` / ``not``; comparisons ``== != < <= > >= in not in``, chained;
* arithmetic ``+ - * /`` and unary ``-``;
* ``is null`` / ``is not null`` spelled ``x is None`` / ``x is not None`` (or ``null``).

Semantics: a comparison or arithmetic with a null operand is null; ``and``/``or`` treat null as
false (SQL-like three-valued logic collapsed at the rule boundary: a rule fires only on true).
Numbers compare as :class:`~decimal.Decimal`, so ``amount >= 150000`` is exact.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["CompiledExpression", "ExpressionError", "compile_expression"]

Value = Decimal | str | bool | None | frozenset[Any] | tuple[Any, ...]
Evaluator = Callable[[Mapping[str, Any]], Value]

_NULL_NAMES = {"null": None, "None": None, "true": True, "True": True, "false": False, "False": False}


class ExpressionError(ValueError):
    """An expression that is not valid in the rule language (message says where and why)."""


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    source: str
    names: frozenset[str]
    _evaluate: Evaluator

    def evaluate(self, context: Mapping[str, Any]) -> Value:
        return self._evaluate(context)

    def holds(self, context: Mapping[str, Any]) -> bool:
        return self._evaluate(context) is True


def _num(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, frozenset | tuple):
        return value
    return value


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _Compiler:
    def __init__(self, source: str, known: frozenset[str] | None) -> None:
        self.source = source
        self.known = known
        self.names: set[str] = set()
        self.errors: list[str] = []

    def fail(self, node: ast.AST, why: str) -> Evaluator:
        col = getattr(node, "col_offset", 0)
        self.errors.append(f"at column {col + 1}: {why}")
        return lambda _ctx: None

    def compile(self, node: ast.expr) -> Evaluator:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or node.value is None or isinstance(node.value, str):
                constant: Value = node.value
            elif isinstance(node.value, int | float):
                constant = Decimal(str(node.value))
            else:
                return self.fail(node, f"unsupported literal {node.value!r}")
            return lambda _ctx: constant
        if isinstance(node, ast.Name) and node.id in _NULL_NAMES:
            fixed = _NULL_NAMES[node.id]
            return lambda _ctx: fixed
        name = _dotted(node)
        if name is not None:
            if self.known is not None and name not in self.known:
                return self.fail(node, f"unknown field '{name}'")
            self.names.add(name)
            return lambda ctx: _num(ctx.get(name))
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.compile(e) for e in node.elts]
            return lambda ctx: frozenset(i(ctx) for i in items)
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda ctx: all(p(ctx) is True for p in parts)
            return lambda ctx: any(p(ctx) is True for p in parts)
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda ctx: operand(ctx) is not True
            if isinstance(node.op, ast.USub):
                return lambda ctx: _neg(operand(ctx))
            return self.fail(node, "unsupported unary operator")
        if isinstance(node, ast.BinOp):
            ops: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
                ast.Add: lambda a, b: a + b,
                ast.Sub: lambda a, b: a - b,
                ast.Mult: lambda a, b: a * b,
                ast.Div: lambda a, b: a / b if b else None,
            }
            op = ops.get(type(node.op))
            if op is None:
                return self.fail(node, "only + - * / are allowed")
            left, right = self.compile(node.left), self.compile(node.right)
            return lambda ctx: _arith(op, left(ctx), right(ctx))
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            return self.fail(node, "function calls are not allowed")
        return self.fail(node, f"'{type(node).__name__}' is not allowed in rules")

    def _compare(self, node: ast.Compare) -> Evaluator:
        left = self.compile(node.left)
        steps: list[tuple[ast.cmpop, Evaluator]] = [
            (op, self.compile(c)) for op, c in zip(node.ops, node.comparators, strict=True)
        ]
        for op, _ in steps:
            if not isinstance(
                op,
                ast.Eq
                | ast.NotEq
                | ast.Lt
                | ast.LtE
                | ast.Gt
                | ast.GtE
                | ast.In
                | ast.NotIn
                | ast.Is
                | ast.IsNot,
            ):
                return self.fail(node, "unsupported comparison")

        def evaluate(ctx: Mapping[str, Any]) -> Value:
            a = left(ctx)
            for op, right in steps:
                b = right(ctx)
                result = _cmp(op, a, b)
                if result is not True:
                    return result
                a = b
            return True

        return evaluate


def _neg(v: Any) -> Any:
    return -v if isinstance(v, Decimal) else None


def _arith(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if not isinstance(a, Decimal) or not isinstance(b, Decimal):
        return None
    try:
        return op(a, b)
    except (InvalidOperation, ArithmeticError):
        return None


def _cmp(op: ast.cmpop, a: Any, b: Any) -> bool | None:
    if isinstance(op, ast.Is):
        return a is b if b is None or a is None else a == b
    if isinstance(op, ast.IsNot):
        return a is not b if b is None or a is None else a != b
    if isinstance(op, ast.In | ast.NotIn):
        if a is None or not isinstance(b, frozenset | tuple):
            return None
        inside = a in b
        return inside if isinstance(op, ast.In) else not inside
    if a is None or b is None:
        return None
    try:
        if isinstance(op, ast.Eq):
            return bool(a == b)
        if isinstance(op, ast.NotEq):
            return bool(a != b)
        if isinstance(a, str) != isinstance(b, str) or isinstance(a, bool) != isinstance(b, bool):
            return None
        if isinstance(op, ast.Lt):
            return bool(a < b)
        if isinstance(op, ast.LtE):
            return bool(a <= b)
        if isinstance(op, ast.Gt):
            return bool(a > b)
        return bool(a >= b)
    except TypeError:
        return None


def compile_expression(source: str, known_fields: frozenset[str] | None = None) -> CompiledExpression:
    """Parse and check ``source``; raises :class:`ExpressionError` listing every problem found."""
    if len(source) > 2000:
        raise ExpressionError("expression longer than 2000 characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset or 0}: {exc.msg}") from None
    compiler = _Compiler(source, known_fields)
    evaluator = compiler.compile(tree.body)
    if compiler.errors:
        raise ExpressionError("; ".join(compiler.errors))
    return CompiledExpression(source, frozenset(compiler.names), evaluator)

"""Safe arithmetic expressions over ``Value``s, for ``chainrule graph``.

The text is parsed with Python's ``ast`` module and walked node by node; only
numbers, variable names, ``+ - * / **``, unary minus and the functions relu,
sigmoid, tanh, exp and log are accepted. Nothing is ever passed to ``eval``, so
``__import__('os')`` or ``x.data`` is rejected before anything runs. Every
intermediate result is labelled with the sub-expression it computes, so drawings
and traces read like the formula.

>>> values, result = evaluate("(w*x + b - 5)**2", {"x": 2, "w": 3, "b": 1})
>>> result.data
4.0
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from chainrule.scalar.value import Value


class ExpressionError(ValueError):
    """The expression text is not something ``chainrule graph`` will evaluate."""


_BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
}

_WHAT = {  # readable names for rejected syntax
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "lambda",
    ast.Compare: "comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "if-else",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "assignment (:=)",
}


def parse(text: str) -> ast.expr:
    """Parse ``text`` and check every node; return the expression tree."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        raise ExpressionError(f"cannot parse {text!r}: {e.msg} (column {e.offset})") from None
    for node in ast.walk(tree):
        _check(node, text)
    return tree


def _check(node: ast.AST, text: str) -> None:
    where = f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Load)) or type(node) in _BINARY:
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise ExpressionError(
                f"operator {type(node.op).__name__}{where} is not allowed; use + - * / **"
            )
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(
                f"unary {type(node.op).__name__}{where} is not allowed; only - and +"
            )
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ExpressionError(f"the name {node.id!r}{where} is not allowed")
        return
    if isinstance(node, (ast.USub, ast.UAdd)):
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(
                f"only numbers are allowed as constants, got {node.value!r}{where}"
            )
        return
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            called = name or ast.unparse(node.func)
            raise ExpressionError(
                f"calling {called!r}{where} is not allowed; functions are {', '.join(FUNCTIONS)}"
            )
        if len(node.args) != 1 or node.keywords:
            raise ExpressionError(f"{name}(...){where} takes exactly one argument")
        return
    what = _WHAT.get(type(node), type(node).__name__)
    raise ExpressionError(f"{what}{where} is not allowed in an expression: {text!r}")


def evaluate(text: str, variables: Mapping[str, float]) -> tuple[dict[str, Value], Value]:
    """Evaluate ``text`` with ``Value``s; return (the variables as Values, the result)."""
    tree = parse(text)
    leaves = {name: Value(_number(name, v), label=name) for name, v in variables.items()}
    used: set[str] = set()

    def build(node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            return Value(float(node.value))
        if isinstance(node, ast.Name):
            if node.id not in leaves:
                raise ExpressionError(
                    f"unknown variable {node.id!r}: give it a value with --set {node.id}=..."
                )
            used.add(node.id)
            return leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            inner = build(node.operand)
            out = -inner if isinstance(node.op, ast.USub) else inner
        elif (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _is_number(node.right)
        ):
            # x ** 2 keeps the exponent a plain number: one input, rule n x^(n-1),
            # and negative bases work (a Value exponent would need x > 0).
            out = build(node.left) ** float(ast.literal_eval(node.right))
        elif isinstance(node, ast.BinOp):
            out = _BINARY[type(node.op)](build(node.left), build(node.right))
        else:  # ast.Call, checked above
            out = FUNCTIONS[node.func.id](build(node.args[0]))
        if not out.label:
            out.label = ast.unparse(node)
        return out

    result = build(tree)
    unused = sorted(set(leaves) - used)
    if unused:
        raise ExpressionError(f"--set gives {', '.join(unused)}, which the expression does not use")
    return {k: v for k, v in leaves.items()}, result


def _is_number(node: ast.expr) -> bool:
    """A literal number, possibly negated: ``2``, ``-1.5``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant)


def _number(name: str, v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ExpressionError(f"variable {name!r} needs a number, got {v!r}") from None

"""Safe arithmetic expressions over ``Value``s, for ``chainrule graph``.

The grammar is tiny: numbers, variable names, ``+ - * / **`` (with Python's precedence;
``**`` binds right to left and tighter than a unary minus on its left), unary ``-`` and
``+``, parentheses, and the functions relu, sigmoid, tanh, exp and log of one argument.
Nothing else is ever run: there is no ``eval`` and no Python parser, so
``__import__('os')`` or ``x.data`` is a one-line rejection, not code.

It is read in three small passes, none of them recursive, so a 5,000-term sum or 500
nested minuses cost a loop, not a stack overflow:

1. ``tokenize``: the text becomes numbers, names and operators (with their columns);
2. ``to_postfix``: the shunting-yard algorithm reorders them so that every operator
   follows its operands (``a + b * c`` becomes ``a b c * +``);
3. ``evaluate``: a stack machine walks that list and builds the ``Value`` graph.

Each intermediate result is labelled with the sub-expression it computes, so drawings and
traces read like the formula. The text is bounded first (``MAX_LENGTH`` characters, numbers
of at most ``MAX_NUMBER_LENGTH`` digits), and a value that overflows a float is named.

>>> values, result = evaluate("(w*x + b - 5)**2", {"x": 2, "w": 3, "b": 1})
>>> result.data, values["w"].data
(4.0, 3.0)
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from chainrule.scalar.value import Value

__all__ = [
    "ExpressionError", "FUNCTIONS", "MAX_LENGTH", "Token", "evaluate", "shorten", "to_postfix", "tokenize",
]  # fmt: skip

#: Longest expression accepted, in characters: room for a 5,000-term sum, small enough
#: that the graph it builds (and its drawing) stays cheap.
MAX_LENGTH = 10_000
#: Longest number literal accepted, in characters (a float has 17 significant digits).
MAX_NUMBER_LENGTH = 40
#: Labels longer than this are shortened in the middle (``x + x + … + x``), so a long chain's
#: labels cost linear, not quadratic, memory.
MAX_LABEL = 60


class ExpressionError(ValueError):
    """The expression text is not something ``chainrule graph`` will evaluate."""


FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
}

_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}

# Binding strength, Python's: + - < * / < unary - + < ** < a number, a name or a call.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "pos": 3, "**": 4}
_ATOM = 5
_RIGHT_ASSOCIATIVE = {"**"}

# Python syntax outside the grammar, named so the rejection says what was written.
_REJECTED_OPERATORS = {
    "//": "floor division",
    "%": "modulo",
    "@": "matrix product",
    "<<": "shift",
    ">>": "shift",
    "&": "bitwise and",
    "|": "bitwise or",
    "^": "bitwise xor (for powers write **)",
    "==": "comparison",
    "!=": "comparison",
    "<=": "comparison",
    ">=": "comparison",
    "<": "comparison",
    ">": "comparison",
    "=": "assignment",
    ":=": "assignment (:=)",
    "~": "unary invert",
    "!": "not",
}
_REJECTED_PUNCTUATION = {
    ".": "attribute access",
    "[": "indexing",
    "]": "indexing",
    "{": "a dict or set",
    "}": "a dict or set",
    ":": "a colon (slice, lambda or dict)",
    ";": "a second statement",
    "'": "a string",
    '"': "a string",
    "`": "a backquote",
    "\\": "a backslash",
    "#": "a comment",
    "$": "'$'",
    "?": "'?'",
}
_REJECTED_KEYWORDS = {"if": "if-else", "else": "if-else", "and": "and/or", "or": "and/or"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>\*\*|//|<<|>>|==|!=|<=|>=|:=|[-+*/()%@&|^<>=~!,])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One piece of the text: its kind (number, name, op, call), its text and its column (1-based)."""

    kind: str
    text: str
    column: int


def shorten(text: str, limit: int = 40) -> str:
    """``text`` as it is, or its two ends around ``…`` when longer than ``limit``: errors stay one short line.

    >>> shorten("x + " * 20 + "x", 21)
    'x + x + x … x + x + x'
    """
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return text[:half] + "…" + text[-half:]


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; anything outside the grammar is an ``ExpressionError`` naming it.

    >>> [t.text for t in tokenize("2*x**-1")]
    ['2', '*', 'x', '**', '-', '1']
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}"
        )
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        column = at + 1
        if match is None:
            char = text[at]
            what = _REJECTED_PUNCTUATION.get(char, f"the character {char!r}")
            hint = "; only numbers are allowed as constants" if char in "'\"" else ""
            raise ExpressionError(
                f"{what} at column {column} is not allowed in an expression{hint}"
            )
        at = match.end()
        kind, piece = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "number":
            _check_number(piece, column, text, at)
        elif kind == "name":
            _check_name(piece, column)
        elif piece in _REJECTED_OPERATORS:
            what = _REJECTED_OPERATORS[piece]
            unary = " unary" if piece in "~!" else ""
            raise ExpressionError(
                f"{what} ({piece!r}) at column {column} is not allowed; the{unary} operators are "
                + ("- and +" if unary else "+ - * / **")
            )
        tokens.append(Token(str(kind), piece, column))
    return tokens


def _check_number(piece: str, column: int, text: str, end: int) -> None:
    if len(piece) > MAX_NUMBER_LENGTH:
        raise ExpressionError(
            f"the number at column {column} has {len(piece)} characters; the limit is {MAX_NUMBER_LENGTH}"
        )
    if not math.isfinite(float(piece)):
        raise ExpressionError(
            f"overflow: the number {piece} at column {column} is too large for a float (max about 1.8e308)"
        )
    if end < len(text) and (text[end].isalnum() or text[end] in "_.'\""):
        raise ExpressionError(
            f"cannot parse {shorten(text)!r}: {text[end]!r} right after the number {piece} "
            f"(column {end + 1}); only plain decimal numbers are allowed"
        )


def _check_name(name: str, column: int) -> None:
    if name in _REJECTED_KEYWORDS:
        raise ExpressionError(f"{_REJECTED_KEYWORDS[name]} at column {column} is not allowed")
    if not name.isidentifier():  # a letter-like mark such as '²' inside it
        raise ExpressionError(f"{name!r} at column {column} is not a valid name")
    if keyword.iskeyword(name) or name.startswith("__"):
        raise ExpressionError(f"the name {name!r} at column {column} is not allowed")


def to_postfix(tokens: list[Token], text: str = "") -> list[Token]:
    """Reorder ``tokens`` so each operator follows its operands (shunting-yard), checking the syntax.

    A leading ``-`` or ``+`` (or one after another operator or ``(``) is unary: ``neg``/``pos``.
    A name followed by ``(`` is a call, kind ``call``.

    >>> [t.text for t in to_postfix(tokenize("-a + b * c**2"))]
    ['a', 'neg', 'b', 'c', '2', '**', '*', '+']
    """
    out: list[Token] = []
    stack: list[Token] = []  # operators and "(" / "name(" waiting for their right side
    expect_operand = True  # at the start, after an operator, after "(": a value must come next
    shown = shorten(text)

    def fail(why: str, column: int) -> ExpressionError:
        return ExpressionError(f"cannot parse {shown!r}: {why} (column {column})")

    for i, tok in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind in ("number", "name"):
            if not expect_operand:
                raise fail(f"an operator is missing before {tok.text!r}", tok.column)
            if tok.kind == "name" and following is not None and following.text == "(":
                if tok.text not in FUNCTIONS:
                    raise ExpressionError(
                        f"calling {tok.text!r} at column {tok.column} is not allowed; "
                        f"functions are {', '.join(FUNCTIONS)}"
                    )
                stack.append(Token("call", tok.text, tok.column))
                continue  # its "(" comes next and is pushed as usual
            if tok.kind == "name" and tok.text in FUNCTIONS:
                raise fail(f"{tok.text} is a function; call it as {tok.text}(...)", tok.column)
            out.append(tok)
            expect_operand = False
        elif tok.text == "(":
            if not expect_operand:
                raise fail("an operator is missing before '('", tok.column)
            stack.append(tok)
        elif tok.text in (")", ","):
            if expect_operand:
                if tok.text == ")" and stack and stack[-1].text == "(" and _is_call(stack, -2):
                    raise ExpressionError(
                        f"{stack[-2].text}(...) at column {stack[-2].column} takes exactly one argument"
                    )
                raise fail(f"a value is missing before {tok.text!r}", tok.column)
            while stack and stack[-1].text != "(":
                out.append(stack.pop())
            if not stack:
                if tok.text == ",":
                    raise ExpressionError(f"a tuple (',' at column {tok.column}) is not allowed")
                raise fail("this ')' closes nothing", tok.column)
            if tok.text == ",":
                if _is_call(stack, -2):
                    raise ExpressionError(
                        f"{stack[-2].text}(...) at column {stack[-2].column} takes exactly one argument"
                    )
                raise ExpressionError(f"a tuple (',' at column {tok.column}) is not allowed")
            stack.pop()  # the "("
            if _is_call(stack, -1):
                out.append(stack.pop())
        else:  # + - * / **
            if expect_operand:
                if tok.text not in "+-":
                    raise fail(f"a value is missing before {tok.text!r}", tok.column)
                # A prefix operator has nothing on its left to finish first.
                stack.append(Token("op", "neg" if tok.text == "-" else "pos", tok.column))
                continue
            mine = _PRECEDENCE[tok.text]
            while stack and stack[-1].text in _PRECEDENCE:
                theirs = _PRECEDENCE[stack[-1].text]
                if theirs > mine or (theirs == mine and tok.text not in _RIGHT_ASSOCIATIVE):
                    out.append(stack.pop())
                else:
                    break
            stack.append(tok)
            expect_operand = True
    if expect_operand:
        where = tokens[-1].column if tokens else 1
        raise fail(
            "the expression ends where a value should follow" if tokens else "it is empty", where
        )
    while stack:
        tok = stack.pop()
        if tok.text == "(" or tok.kind == "call":
            raise fail("a '(' is never closed", tok.column)
        out.append(tok)
    return out


def _is_call(stack: list[Token], index: int) -> bool:
    return len(stack) >= -index and stack[index].kind == "call"


@dataclass
class _Operand:
    """A value on the evaluation stack, with the text it was computed from and how tightly that binds."""

    value: Value
    label: str
    precedence: int
    number: float | None = None  # a literal, possibly negated: ``x ** 2`` keeps it a plain number


def evaluate(text: str, variables: Mapping[str, float]) -> tuple[dict[str, Value], Value]:
    """Evaluate ``text`` with ``Value``s; return (the variables as Values, the result).

    >>> _, result = evaluate("-log(sigmoid(z))", {"z": 0.0})
    >>> round(result.data, 4), result.label
    (0.6931, '-log(sigmoid(z))')
    """
    program = to_postfix(tokenize(text), text)
    leaves = {name: Value(_number(name, v), label=name) for name, v in variables.items()}
    used: set[str] = set()
    stack: list[_Operand] = []
    for tok in program:
        if tok.kind == "number":
            number = float(tok.text)
            stack.append(_Operand(Value(number), tok.text, _ATOM, number))
        elif tok.kind == "name":
            if tok.text not in leaves:
                raise ExpressionError(
                    f"unknown variable {tok.text!r}: give it a value with --set {tok.text}=..."
                )
            used.add(tok.text)
            stack.append(_Operand(leaves[tok.text], tok.text, _ATOM))
        elif tok.kind == "call":
            arg = stack.pop()
            stack.append(_apply(tok, FUNCTIONS[tok.text], arg.value, f"{tok.text}({arg.label})"))
        elif tok.text in ("neg", "pos"):
            stack.append(_unary(tok, stack.pop()))
        else:
            right, left = stack.pop(), stack.pop()
            stack.append(_binary(tok, left, right))
    (result,) = stack  # to_postfix guarantees exactly one
    unused = sorted(set(leaves) - used)
    if unused:
        raise ExpressionError(f"--set gives {', '.join(unused)}, which the expression does not use")
    return dict(leaves), result.value


def _unary(tok: Token, operand: _Operand) -> _Operand:
    sign = "-" if tok.text == "neg" else "+"
    inner = operand.label if operand.precedence >= _PRECEDENCE["neg"] else f"({operand.label})"
    number = (
        None if operand.number is None else (-operand.number if sign == "-" else operand.number)
    )
    if sign == "+":  # +x is x itself, as in Value.__pos__
        return _Operand(operand.value, sign + inner, _PRECEDENCE["pos"], number)
    result = _apply(tok, Value.__neg__, operand.value, sign + inner)
    return _Operand(result.value, result.label, _PRECEDENCE["neg"], number)


def _binary(tok: Token, left: _Operand, right: _Operand) -> _Operand:
    op, mine = tok.text, _PRECEDENCE[tok.text]
    if op == "**":  # right to left: (a ** b) ** c and (-a) ** b need brackets, a ** -b does not
        wrap_left, wrap_right = left.precedence <= mine, right.precedence < _PRECEDENCE["neg"]
    else:  # left to right: a - (b - c) needs them, (a - b) - c does not
        wrap_left, wrap_right = left.precedence < mine, right.precedence <= mine
    label = (
        (f"({left.label})" if wrap_left else left.label)
        + f" {op} "
        + (f"({right.label})" if wrap_right else right.label)
    )
    if op == "**" and right.number is not None:
        # x ** 2 keeps the exponent a plain number: one input, rule n x^(n-1),
        # and negative bases work (a Value exponent would need x > 0).
        exponent = right.number
        result = _apply(tok, lambda v: v**exponent, left.value, label)
    else:
        result = _apply(tok, lambda v: _BINARY[op](v, right.value), left.value, label)
    return _Operand(result.value, result.label, mine)


def _apply(tok: Token, op: Callable[[Value], Value], operand: Value, label: str) -> _Operand:
    """Run one step of the expression; a float overflow is named, with where it happened."""
    label = shorten(label, MAX_LABEL)
    try:
        out = op(operand)
    except OverflowError:
        out = None
    if out is None or not math.isfinite(out.data):
        raise ExpressionError(
            f"overflow: {label} (column {tok.column}) is too large for a float (max about 1.8e308)"
        )
    if out is not operand and not out.label:
        out.label = label
    return _Operand(out, label, _ATOM)


def _number(name: str, v: object) -> float:
    try:
        number = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ExpressionError(f"variable {name!r} needs a number, got {v!r}") from None
    if not math.isfinite(number):
        raise ExpressionError(f"variable {name!r} needs a finite number, got {v!r}")
    return number

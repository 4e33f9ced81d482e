"""Three ways to differentiate one expression: symbolically, by autograd, numerically.

``chainrule graph EXPR --symbolic`` shows, for every variable,

1. **symbolic**: SymPy's derivative of the formula, and its value at the point;
2. **autograd**: ``Value.backward`` on the graph the expression builds;
3. **numeric**: a central difference, (f(x + h) - f(x - h)) / 2h.

The postfix program ``expr.to_postfix`` checked is converted to SymPy here, token by token, with
symbols made from the variable names: the user's text is never handed to SymPy (its
``sympify`` evaluates strings). relu becomes a ``Piecewise`` (x where x > 0, else 0), whose
derivative is 0 at the kink, as autograd's is. SymPy is optional: ``pip install
'chainrule[symbolic]'``.

>>> rows = three_ways("x**2 * y", {"x": 3, "y": 2})
>>> rows[0].formula, rows[0].symbolic, rows[0].autograd
('2*x*y', 12.0, 12.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainrule.scalar.expr import Token, evaluate, to_postfix, tokenize

#: What to install when SymPy is missing: the extra that brings it.
MISSING_SYMPY = "--symbolic needs SymPy: pip install 'chainrule[symbolic]' (or sympy>=1.12)"


def _sympy() -> Any:
    try:
        import sympy  # noqa: PLC0415 - optional (the `symbolic` extra) and slow to import
    except ImportError:
        raise ImportError(MISSING_SYMPY) from None
    return sympy


def _number(sp: Any, value: float | int) -> Any:
    """A literal as an exact SymPy number: 2 -> 2, 0.5 -> 1/2, 0.1 -> 1/10 (as written)."""
    if isinstance(value, int) or float(value).is_integer():
        return sp.Integer(int(value))
    return sp.Rational(repr(float(value)))


def to_sympy(program: Sequence[Token], symbols: Mapping[str, Any]) -> Any:
    """Convert the postfix program ``expr.to_postfix`` checked to a SymPy expression.

    The same stack machine as ``expr.evaluate``, building SymPy objects instead of Values:
    operands are pushed, each operator pops its operands and pushes its result.
    """
    sp = _sympy()
    functions = {
        "relu": lambda a: sp.Piecewise((a, a > 0), (0, True)),
        "sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
        "tanh": sp.tanh,
        "exp": sp.exp,
        "log": sp.log,
    }
    binary = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
        "**": lambda a, b: a**b,
    }
    stack: list[Any] = []
    for tok in program:
        if tok.kind == "number":
            stack.append(_number(sp, float(tok.text)))
        elif tok.kind == "name":
            stack.append(symbols[tok.text])
        elif tok.kind == "call":
            stack.append(functions[tok.text](stack.pop()))
        elif tok.text == "neg":
            stack.append(-stack.pop())
        elif tok.text == "pos":
            pass  # +a is a
        else:
            right, left = stack.pop(), stack.pop()
            stack.append(binary[tok.text](left, right))
    (result,) = stack
    return result


@dataclass(frozen=True)
class ThreeWays:
    """dL/d(variable) three ways: SymPy's formula and value, autograd's, a central difference."""

    variable: str
    formula: str
    symbolic: float
    autograd: float
    numeric: float


def three_ways(text: str, variables: Mapping[str, float], h: float = 1e-6) -> list[ThreeWays]:
    """Differentiate ``text`` with respect to each variable symbolically, by autograd, numerically.

    ``h`` is the central difference's step.
    """
    sp = _sympy()
    program = to_postfix(tokenize(text), text)
    leaves, result = evaluate(text, variables)  # also checks every variable is used
    result.backward()
    symbols = {name: sp.Symbol(name) for name in leaves}
    formula = to_sympy(program, symbols)
    point = {symbols[name]: _number(sp, v.data) for name, v in leaves.items()}
    rows = []
    for name, leaf in leaves.items():
        derivative = sp.diff(formula, symbols[name])
        rows.append(
            ThreeWays(
                name,
                str(derivative),
                _real(derivative.evalf(subs=point)),
                leaf.grad,
                _central_difference(text, variables, name, leaf.data, h),
            )
        )
    return rows


def _real(value: Any) -> float:
    """A SymPy number as a float; nan where it is not one real number (zoo, I, ...)."""
    try:
        z = complex(value)
    except TypeError:
        return float("nan")
    return z.real if z.imag == 0 else float("nan")


def _central_difference(
    text: str, variables: Mapping[str, float], name: str, at: float, h: float
) -> float:
    """(f(x + h) - f(x - h)) / 2h; nan when a step leaves the domain (log(x) at x < h)."""
    try:
        up = evaluate(text, {**variables, name: at + h})[1].data
        down = evaluate(text, {**variables, name: at - h})[1].data
    except (ValueError, ArithmeticError):
        return float("nan")
    return (up - down) / (2 * h)

"""Three ways to differentiate (``scalar.symbolic``, ``chainrule graph --symbolic``): SymPy's
derivative of random expressions against autograd and central differences, the converter's
safety (user text never reaches SymPy) and the one-line error when SymPy is missing."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chainrule.cli import main
from chainrule.scalar.expr import ExpressionError, evaluate
from chainrule.scalar.symbolic import MISSING_SYMPY, three_ways

sympy = pytest.importorskip("sympy")

# Random expression text over x, y, z. Each form keeps its inputs in the op's domain
# (log of something positive, division by something non-zero), as a student's would.
LEAF = st.sampled_from(["x", "y", "z", "2", "0.5", "3"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    unary = st.sampled_from(
        ["-({})", "tanh({})", "sigmoid({})", "exp(tanh({}))", "log({}**2 + 1)", "({})**3"]
    )
    binary = st.sampled_from(
        ["({} + {})", "({} - {})", "({} * {})", "({} / ({}**2 + 1))", "(({})**2 + 1)**tanh({})"]
    )
    return st.one_of(
        st.tuples(unary, children).map(lambda t: t[0].format(t[1])),
        st.tuples(binary, children, children).map(lambda t: t[0].format(t[1], t[2])),
    )


EXPRESSIONS = st.recursive(LEAF, _combine, max_leaves=8)
POINTS = st.fixed_dictionaries(
    {name: st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3)) for name in "xyz"}
)


@settings(max_examples=60, deadline=None)
@given(EXPRESSIONS, POINTS)
def test_symbolic_autograd_and_numeric_agree_on_random_expressions(text, point):
    used = {name: v for name, v in point.items() if name in text}
    assume(used)
    try:
        rows = three_ways(text, used)
    except (ExpressionError, OverflowError, ValueError, ZeroDivisionError):
        assume(False)  # a point outside the domain (0 ** negative, a huge exp)
    assert [r.variable for r in rows] == list(used)
    for r in rows:
        assert math.isclose(r.symbolic, r.autograd, rel_tol=1e-9, abs_tol=1e-9), (text, r)
        assert math.isclose(r.numeric, r.autograd, rel_tol=1e-4, abs_tol=1e-5), (text, r)


def test_the_course_example():
    rows = {r.variable: r for r in three_ways("(w*x + b - 5)**2", {"x": 2, "w": 3, "b": 1})}
    assert rows["x"].formula == "2*w*(b + w*x - 5)"
    assert (rows["x"].symbolic, rows["w"].symbolic, rows["b"].symbolic) == (12.0, 8.0, 4.0)
    assert (rows["x"].autograd, rows["w"].autograd, rows["b"].autograd) == (12.0, 8.0, 4.0)


def test_relu_at_the_kink_follows_autograd_and_numeric_does_not():
    (row,) = three_ways("relu(x)", {"x": 0.0})
    assert row.symbolic == row.autograd == 0.0  # the Piecewise form: 0 at x = 0, as autograd
    assert row.numeric == pytest.approx(0.5)  # the central difference straddles the kink


def test_names_are_symbols_not_sympy_constants():
    # E, I, S and pi mean things to SymPy's parser; here they are just the user's variables.
    rows = three_ways("E * I + S / pi", {"E": 2.0, "I": 3.0, "S": 1.0, "pi": 4.0})
    assert [r.symbolic for r in rows] == [3.0, 2.0, 0.25, -1.0 / 16]


def test_user_text_never_reaches_sympify(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("sympify was called")

    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden, raising=False)
    rows = three_ways("sigmoid(x) * log(y)", {"x": 0.3, "y": 2.0})
    assert rows[0].symbolic == pytest.approx(rows[0].autograd, rel=1e-12)


def test_rejected_text_is_rejected_before_sympy():
    with pytest.raises(ExpressionError, match="attribute access"):
        three_ways("x.__class__", {"x": 1.0})


def test_a_step_out_of_the_domain_gives_nan():
    (row,) = three_ways("log(x)", {"x": 1e-7})
    assert row.symbolic == pytest.approx(1e7) and row.autograd == pytest.approx(1e7)
    assert math.isnan(row.numeric)


def test_exact_constants():
    (row,) = three_ways("x ** 0.5 + 0.1 * x", {"x": 4.0})
    assert row.formula == "1/10 + 1/(2*sqrt(x))"
    assert row.symbolic == pytest.approx(0.35, rel=1e-15)
    assert row.autograd == pytest.approx(evaluate("0.5 * x ** -0.5 + 0.1", {"x": 4.0})[1].data)


# ---------------------------------------------------------------- the CLI
def test_cli_symbolic_prints_the_three_columns(capsys):
    code = main(["graph", "(w*x + b - 5)**2", "--set", "x=2", "w=3", "b=1", "--symbolic"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    head = out.index("Three ways to differentiate: symbolically (SymPy), by autograd, numerically")
    assert out[head + 1].split()[:3] == ["variable", "SymPy's", "derivative"]
    assert out[head + 2].split() == ["dL/dx", "2*w*(b", "+", "w*x", "-", "5)", "12", "12", "12"]


def test_cli_without_sympy_names_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy now raises ImportError
    code = main(["graph", "x*x", "--set", "x=3", "--symbolic"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and "chainrule[symbolic]" in err and MISSING_SYMPY in err

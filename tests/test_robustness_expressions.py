"""``chainrule graph``'s expressions under attack: generated formulas, deep nesting, long chains, overflow.

Every case asserts what a user sees: the value Python's own arithmetic gives (precedence and
associativity are Python's), or one line on stderr with exit status 2, never a traceback,
and nothing ever run but the grammar.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chainrule.cli import main
from chainrule.scalar.expr import MAX_LENGTH, ExpressionError, evaluate

VARIABLES = {"x": 0.7, "y": -1.3, "z": 2.0}


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


# The test's oracle: Python evaluating the same text, with the five functions defined as math.
ORACLE = {"relu": lambda v: max(v, 0.0), "sigmoid": _sigmoid, "tanh": math.tanh}
ORACLE |= {"exp": math.exp, "log": math.log, "__builtins__": {}}
# What evaluate may raise for a well-formed expression: domain, division by zero, overflow.
MATH_ERRORS = (ExpressionError, ArithmeticError, ValueError)


def names_in(text: str) -> dict[str, float]:
    """The test variables ``text`` uses as whole names (``exp`` holds an x but uses none)."""
    return {k: v for k, v in VARIABLES.items() if re.search(rf"(?<!\w){k}(?!\w)", text)}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, out, err):
    assert code == 2, err
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("chainrule graph: error:"), err
    assert "Traceback" not in err and len(err) < 600


# ---- generated well-formed expressions: the value is Python's ---------------------------------
_space = st.sampled_from(["", " ", "  "])
_leaf = st.one_of(
    st.sampled_from(sorted(VARIABLES)),
    # Float literals only, so the oracle never does exact integer powers (10**10**10 would hang).
    st.sampled_from(["2.", "0.5", "3.0", "1.5e0", ".25", "10.", "0.0"]),
)


def _binary(children):
    return st.tuples(
        children, _space, st.sampled_from(["+", "-", "*", "/", "**"]), _space, children
    )


def _extend(children):
    return st.one_of(
        _binary(children).map("".join),
        st.tuples(st.sampled_from(["-", "+"]), children).map("".join),
        children.map(lambda c: f"({c})"),
        st.tuples(st.sampled_from(sorted(ORACLE.keys() - {"__builtins__"})), children).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
    )


expressions = st.recursive(_leaf, _extend, max_leaves=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_generated_expressions_agree_with_python(text):
    used = names_in(text)
    try:
        expected = eval(text, dict(ORACLE), dict(used))  # the oracle only: text from our grammar
    except (ArithmeticError, ValueError, TypeError):  # TypeError: math.exp of a complex power
        expected = None
    try:
        _, result = evaluate(text, used)
    except MATH_ERRORS as e:
        assert "\n" not in str(e)
        if isinstance(expected, float) and math.isfinite(expected):
            # Python got a real number where chainrule refused: only for the reasons it gives
            # (a Value exponent needs a positive base; an intermediate overflowed to inf).
            assert "needs x > 0" in str(e) or "overflow" in str(e), (text, e)
        return
    assert isinstance(expected, float), (text, expected)
    assert math.isclose(result.data, expected, rel_tol=1e-9, abs_tol=1e-12), text


@settings(max_examples=150, deadline=None)
@given(expressions)
def test_generated_gradients_agree_with_central_differences(text):
    point = names_in(text)
    names = list(point)
    if not names:
        return
    try:
        leaves, result = evaluate(text, point)
        result.backward()
    except MATH_ERRORS:
        return
    h = 1e-6
    for name in names:

        def f(v, name=name):
            return eval(text, dict(ORACLE), {**point, name: v})

        try:
            numeric = (f(point[name] + h) - f(point[name] - h)) / (2 * h)
        except (ArithmeticError, ValueError, TypeError):
            continue  # a kink or a domain edge within h: no reference
        if not isinstance(numeric, float) or not math.isfinite(numeric) or abs(numeric) > 1e6:
            continue
        if "relu" in text and abs(numeric - leaves[name].grad) > 1e-3:
            continue  # relu's kink can sit within h of the point
        assert math.isclose(leaves[name].grad, numeric, rel_tol=1e-4, abs_tol=1e-5), (text, name)


# ---- generated junk: refused in one line, never a crash ---------------------------------------
_junk = st.text(
    alphabet=st.sampled_from(list("xyz0123456789.+-*/()e _,[]'\"=<>!~%@&|^:;\\")), max_size=40
)


@settings(max_examples=400, deadline=None)
@given(_junk)
def test_any_text_is_evaluated_or_refused_in_one_line(text):
    used = names_in(text)
    try:
        evaluate(text, used)
    except MATH_ERRORS as e:
        assert "\n" not in str(e) and len(str(e)) < 400


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=30))
def test_any_unicode_text_is_refused_or_evaluated_through_the_cli(capsys, text):
    assume(text.strip() != "-h" and not text.startswith("--"))  # options, not expressions
    code, out, err = run(capsys, "graph", text, "--set", "x=1")
    if code == 0:
        assert "dL/dx" in out and err == ""
    else:
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


# ---- long chains and deep nesting: loops, not recursion ---------------------------------------
@pytest.mark.parametrize("terms", [900, 2000, 4000])
def test_long_sums_and_products(terms):
    leaves, result = evaluate("+".join(["x"] * terms), {"x": 1.5})
    result.backward()
    assert result.data == pytest.approx(1.5 * terms) and leaves["x"].grad == terms
    leaves, result = evaluate("*".join(["x"] * terms), {"x": 1.0})
    result.backward()
    assert result.data == 1.0 and leaves["x"].grad == terms
    assert len(result.label) <= 80  # labels are shortened, not quadratic


@pytest.mark.parametrize("minuses", [1, 2, 499, 500, 5000])
def test_stacked_unary_minuses(minuses):
    leaves, result = evaluate("-" * minuses + "x", {"x": 2.0})
    result.backward()
    sign = -1.0 if minuses % 2 else 1.0
    assert result.data == sign * 2.0 and leaves["x"].grad == sign


@pytest.mark.parametrize("depth", [1, 100, 1000, 4990])
def test_deeply_nested_parentheses_and_calls(depth):
    _, result = evaluate("(" * depth + "x" + ")" * depth, {"x": 3.0})
    assert result.data == 3.0
    calls = min(depth, 1600)  # "tanh(" is 5 characters: stay within the length limit
    leaves, result = evaluate("tanh(" * calls + "x" + ")" * calls, {"x": 0.1})
    result.backward()
    assert math.isfinite(leaves["x"].grad) and 0 < result.data < 0.1


def test_a_900_term_chain_through_the_cli(capsys):
    code, out, err = run(capsys, "graph", "+".join(["x"] * 900), "--set", "x=2")
    assert code == 0, err
    assert "dL/dx = 900" in out.splitlines()


def test_a_leading_minus_is_an_expression_not_an_option(capsys):
    code, out, err = run(capsys, "graph", "-log(sigmoid(z))", "--set", "z=0")
    assert code == 0, err
    assert out.splitlines()[0] == "L = -log(sigmoid(z)) = 0.693147"
    code, out, err = run(capsys, "graph", "--set", "z=0", "--explain", "-z*2")
    assert code == 0, err and "dL/dz = -2" in out


# ---- the limits: each a one-line error that names what was too big -----------------------------
@pytest.mark.parametrize(
    "text, message",
    [
        ("9**9**9", "overflow"),
        ("2**2**2**2**2", "overflow"),
        ("10**400", "overflow"),
        ("x**1e6", "overflow"),
        ("exp(exp(10))", "overflow"),
        ("exp(710)", "overflow"),
        ("1e200*1e200*x", "overflow"),
        ("x/1e-320/1e-320", "overflow"),
        ("1e309 + x", "overflow"),
        ("1" * 400 + " + x", "the limit is 40"),
        ("x" + "+x" * (MAX_LENGTH // 2), "the limit is 10,000"),
    ],
)
def test_limits_are_named_in_one_line(capsys, text, message):
    code, out, err = run(capsys, "graph", text, "--set", "x=10")
    assert_one_line_error(code, out, err)
    assert message in err and "Numerical result out of range" not in err


@pytest.mark.parametrize(
    "values, message",
    [
        (["x=1e308", "y=1e308"], "overflow"),
        (["x=inf", "y=1"], "finite"),
        (["x=nan", "y=1"], "finite"),
    ],
)
def test_overflow_from_the_variables(capsys, values, message):
    code, out, err = run(capsys, "graph", "x*y + x*y", "--set", *values)
    assert_one_line_error(code, out, err)
    assert message in err


# ---- nothing but the grammar ever runs ----------------------------------------------------------
@pytest.mark.parametrize(
    "template",
    [
        "__import__('os').system('touch {p}')",
        "open('{p}', 'w')",
        "exec(\"open('{p}','w')\")",
        "x.__class__.__init__.__globals__['os'].system('touch {p}')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "(lambda: open('{p}', 'w'))()",
        "x; open('{p}', 'w')",
        "x if open('{p}', 'w') else x",
        'f\'{{open("{p}", "w")}}\'',
        "breakpoint()",
        "globals()",
    ],
)
def test_code_is_refused_and_never_run(capsys, tmp_path, template):
    target = tmp_path / "pwned"
    code, out, err = run(capsys, "graph", template.format(p=target), "--set", "x=1")
    assert_one_line_error(code, out, err)
    assert not target.exists()


def test_a_square_root_at_zero_has_an_infinite_slope_as_in_torch(capsys):
    torch = pytest.importorskip("torch")
    leaves, result = evaluate("x**0.5", {"x": 0.0})
    result.backward()
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (t**0.5).backward()
    assert result.data == 0.0 and leaves["x"].grad == t.grad.item() == math.inf
    code, out, err = run(capsys, "graph", "x**0.5", "--set", "x=0")
    assert_one_line_error(code, out, err)
    assert "dL/dx is inf" in err

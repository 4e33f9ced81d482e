"""Forward mode in the scalar engine: dual numbers (``Dual``, ``jvp``) and tangents pushed
over a recorded graph (``push_tangents``), against the reverse mode, PyTorch's ``torch.func
.jvp`` (float64) and central differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.scalar import (
    Dual,
    Value,
    bce_with_logits,
    forward_gradient,
    jvp,
    linear,
    push_tangents,
)
from test_scalar_value import ValueLib, programs, run_program


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def program_function(steps):
    """The random program as a function of its inputs, for jvp (it runs on Duals)."""

    def f(*xs):
        return run_program(list(xs), steps, lambda d: d, ValueLib)[1]

    return f


tangent_lists = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=4, max_size=4)


@settings(max_examples=150, deadline=None)
@given(programs(), tangent_lists)
def test_dual_jvp_matches_reverse_mode(program, tangents):
    """⟨∇f, v⟩ two ways: one forward pass with Duals, one backward pass with Values."""
    inputs, steps = program
    v = tangents[: len(inputs)]
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    root.backward()
    value, slope = jvp(program_function(steps), inputs, v)
    assert close(value, root.data)
    reverse = sum(x.grad * t for x, t in zip(leaves, v))
    assert close(slope, reverse, 1e-8), (slope, reverse)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")  # torch.func imports it
@settings(max_examples=100, deadline=None)
@given(programs(), tangent_lists)
def test_dual_jvp_matches_torch_func_jvp_float64(program, tangents):
    torch = pytest.importorskip("torch")
    inputs, steps = program
    v = tangents[: len(inputs)]
    value, slope = jvp(program_function(steps), inputs, v)

    def tf(*xs):
        return run_program(list(xs), steps, lambda t: t, torch)[1]

    primals = tuple(torch.tensor(x, dtype=torch.float64) for x in inputs)
    directions = tuple(torch.tensor(t, dtype=torch.float64) for t in v)
    t_value, t_slope = torch.func.jvp(tf, primals, directions)
    assert close(value, t_value.item())
    assert close(slope, t_slope.item(), 1e-8), (slope, t_slope.item())


@settings(max_examples=60, deadline=None)
@given(programs(smooth=True), tangent_lists)
def test_dual_jvp_matches_central_differences(program, tangents):
    inputs, steps = program
    v = tangents[: len(inputs)]
    _, slope = jvp(program_function(steps), inputs, v)
    h = 1e-6

    def at(s: float) -> float:
        return run_program([x + s * t for x, t in zip(inputs, v)], steps, Value, ValueLib)[1].data

    numeric = (at(h) - at(-h)) / (2 * h)
    assert math.isclose(slope, numeric, rel_tol=1e-4, abs_tol=1e-5), (slope, numeric)


@settings(max_examples=150, deadline=None)
@given(programs())
def test_tangents_on_the_recorded_graph_match_backward(program):
    """Forward mode over the very graph backward walks: one pass per input, same numbers."""
    inputs, steps = program
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    forward = forward_gradient(root, leaves)
    root.backward()
    for x, g in zip(leaves, forward):
        assert close(g, x.grad), (g, x.grad)


def test_push_tangents_covers_fused_ops():
    """linear and bce_with_logits have no Dual form, but the recorded graph has their rules."""
    w, x, b = [Value(0.3), Value(-1.2)], [Value(2.0), Value(0.5)], Value(0.1)
    z = linear(w, x, b)
    loss = bce_with_logits(z.tanh() * 3, 0.25)
    leaves = [*w, *x, b]
    forward = forward_gradient(loss, leaves)
    loss.backward()
    assert forward == pytest.approx([v.grad for v in leaves], rel=1e-12)
    tangents = push_tangents(loss, {w[0]: 1.0, x[1]: -2.0})
    assert tangents[loss] == pytest.approx(w[0].grad - 2 * x[1].grad, rel=1e-12)
    assert tangents[b] == 0.0  # an unseeded leaf does not move


# ---------------------------------------------------------------- each rule
@pytest.mark.parametrize(
    "f, x, value, slope",
    [
        (lambda v: v + 2, 3.0, 5.0, 1.0),
        (lambda v: 2 + v, 3.0, 5.0, 1.0),
        (lambda v: v - 2, 3.0, 1.0, 1.0),
        (lambda v: 1 - v, 3.0, -2.0, -1.0),
        (lambda v: v * 4, 3.0, 12.0, 4.0),
        (lambda v: 4 * v, 3.0, 12.0, 4.0),
        (lambda v: v / 4, 3.0, 0.75, 0.25),
        (lambda v: 2 / v, 4.0, 0.5, -2 / 16),
        (lambda v: -v, 3.0, -3.0, -1.0),
        (lambda v: +v, 3.0, 3.0, 1.0),
        (lambda v: v**3, 2.0, 8.0, 12.0),
        (lambda v: v**-1, 2.0, 0.5, -0.25),
        (lambda v: v**0, 2.0, 1.0, 0.0),
        (lambda v: 2**v, 3.0, 8.0, 8 * math.log(2)),
        (lambda v: v**v, 2.0, 4.0, 4 * (1 + math.log(2))),
        (lambda v: v.relu(), 3.0, 3.0, 1.0),
        (lambda v: v.relu(), 0.0, 0.0, 0.0),
        (lambda v: v.sigmoid(), 0.0, 0.5, 0.25),
        (lambda v: v.tanh(), 0.0, 0.0, 1.0),
        (lambda v: v.exp(), 1.0, math.e, math.e),
        (lambda v: v.log(), 2.0, math.log(2), 0.5),
        (lambda v: np.float64(2.0) * v, 3.0, 6.0, 2.0),  # NumPy scalars defer to Dual
    ],
)
def test_each_dual_rule(f, x, value, slope):
    out = f(Dual(x, 1.0))
    assert isinstance(out, Dual)
    assert out.primal == pytest.approx(value, rel=1e-12)
    assert out.tangent == pytest.approx(slope, rel=1e-12, abs=1e-15)
    v = Value(x)  # the same function on a Value, differentiated by reverse mode
    f(v).backward()
    assert out.tangent == pytest.approx(v.grad, rel=1e-12, abs=1e-15)


def test_sigmoid_is_stable_far_out():
    assert Dual(-800.0, 1.0).sigmoid().tangent == 0.0
    assert Dual(800.0, 1.0).sigmoid().primal == 1.0


def test_errors_name_the_problem():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Dual(1.0) / Dual(0.0)
    with pytest.raises(ValueError, match="log needs a positive number"):
        Dual(-1.0).log()
    with pytest.raises(ValueError, match="fractional power"):
        Dual(-2.0) ** 0.5
    with pytest.raises(ValueError, match="Dual exponent needs x > 0"):
        Dual(-2.0) ** Dual(2.0)
    with pytest.raises(OverflowError, match="exp overflows"):
        Dual(1000.0).exp()
    with pytest.raises(TypeError, match="Dual primal needs a real number"):
        Dual("2")
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="f returned a Value"):
        jvp(lambda a: Value(2.0) * 2, (1.0,), (1.0,))
    with pytest.raises(TypeError, match="the operand of \\+ needs a real number"):
        Dual(1.0) + "x"


def test_constant_function_has_zero_tangent():
    assert jvp(lambda a: 3.0, (1.0,), (1.0,)) == (3.0, 0.0)


def test_course_cost_table_passes():
    """n inputs, one scalar output: forward mode needs n passes, reverse mode one."""
    xs = [Value(float(i) / 10) for i in range(6)]
    root = sum((x * x).tanh() for x in xs)
    passes = []
    for x in xs:  # forward: one pass per input, each seeding one tangent
        passes.append(push_tangents(root, {x: 1.0})[root])
    root.backward()  # reverse: one pass for all of them
    assert passes == pytest.approx([x.grad for x in xs], rel=1e-12)

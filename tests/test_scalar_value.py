"""The scalar engine ``Value``: values and gradients against PyTorch, finite
differences and calculus, plus accumulation semantics and error messages."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import Value
from chainrule.scalar import bce_with_logits, linear, topological_order


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


# ---------------------------------------------------------------- random graphs
# A program is a list of steps; each step applies one op to earlier results
# (indices into the pool), so results get reused: shared subexpressions are the
# norm, not the exception. Ops are written so that every input is in the op's
# domain (log of a positive number, division by something non-zero).
UNARY = [
    "neg",
    "relu",
    "sigmoid",
    "tanh",
    "exp_tanh",
    "log_sq",
    "pow2",
    "pow3",
    "pow_m1",
    "pow_half",
    "rsub",
    "rdiv",
    "rpow",
]
BINARY = ["add", "sub", "mul", "div", "pow_value", "radd_mul"]


def apply(op: str, a, b, lib):
    """One step, for either engine. ``lib`` provides exp/log/relu/... for tensors."""
    if op == "neg":
        return -a
    if op == "relu":
        return lib.relu(a)
    if op == "sigmoid":
        return lib.sigmoid(a)
    if op == "tanh":
        return lib.tanh(a)
    if op == "exp_tanh":
        return lib.exp(lib.tanh(a))
    if op == "log_sq":
        return lib.log(a * a + 0.5)
    if op == "pow2":
        return a**2
    if op == "pow3":
        return a**3
    if op == "pow_m1":
        return (a * a + 1.0) ** -1
    if op == "pow_half":
        return (a * a + 1.0) ** 0.5
    if op == "rsub":
        return 1.5 - a
    if op == "rdiv":
        return 2.0 / (a * a + 1.0)
    if op == "rpow":
        return 1.7 ** lib.tanh(a)
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / (b * b + 1.0)
    if op == "pow_value":
        return (a * a + 1.0) ** lib.tanh(b)
    if op == "radd_mul":
        return 0.5 * a + b
    raise AssertionError(op)


class ValueLib:
    relu = staticmethod(lambda v: v.relu())
    sigmoid = staticmethod(lambda v: v.sigmoid())
    tanh = staticmethod(lambda v: v.tanh())
    exp = staticmethod(lambda v: v.exp())
    log = staticmethod(lambda v: v.log())


@st.composite
def programs(draw, smooth: bool = False):
    """Random programs; ``smooth`` leaves out relu, whose kink fools finite differences."""
    ops = [op for op in UNARY + BINARY if not (smooth and op == "relu")]
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(
        st.lists(
            st.floats(-2.0, 2.0, allow_nan=False).filter(lambda x: abs(x) > 1e-3),
            min_size=n_inputs,
            max_size=n_inputs,
        )
    )
    steps = []
    for i in range(draw(st.integers(1, 12))):
        pool = n_inputs + i
        op = draw(st.sampled_from(ops))
        steps.append((op, draw(st.integers(0, pool - 1)), draw(st.integers(0, pool - 1))))
    return inputs, steps


def run_program(inputs, steps, make, lib):
    pool = [make(x) for x in inputs]
    for op, i, j in steps:
        pool.append(apply(op, pool[i], pool[j], lib))
    # The root sums the last few results so that several branches reach it.
    root = pool[-1]
    for extra in pool[-3:-1]:
        root = root + extra
    return pool[: len(inputs)], root


@settings(max_examples=150, deadline=None)
@given(programs())
def test_random_graphs_match_pytorch_float64(program):
    torch = pytest.importorskip("torch")
    inputs, steps = program
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    root.backward()

    t_leaves, t_root = run_program(
        inputs, steps, lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True), torch
    )
    grads = torch.autograd.grad(t_root, t_leaves, allow_unused=True)

    assert close(root.data, t_root.item())
    for v, g in zip(leaves, grads):
        expected = 0.0 if g is None else g.item()
        assert close(v.grad, expected), (v.grad, expected)


@settings(max_examples=60, deadline=None)
@given(programs(smooth=True))
def test_random_graphs_match_central_differences(program):
    inputs, steps = program
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    root.backward()
    h = 1e-6
    for k, v in enumerate(leaves):
        up, down = list(inputs), list(inputs)
        up[k] += h
        down[k] -= h
        f_up = run_program(up, steps, Value, ValueLib)[1].data
        f_down = run_program(down, steps, Value, ValueLib)[1].data
        numeric = (f_up - f_down) / (2 * h)
        assert math.isclose(v.grad, numeric, rel_tol=1e-4, abs_tol=1e-5), (k, v.grad, numeric)


# ---------------------------------------------------------------- each rule by hand
@pytest.mark.parametrize(
    "f, x, value, grad",
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
        (lambda v: v**3, 2.0, 8.0, 12.0),
        (lambda v: v**-1, 2.0, 0.5, -0.25),
        (lambda v: v**0, 2.0, 1.0, 0.0),
        (lambda v: 2**v, 3.0, 8.0, 8 * math.log(2)),
        (lambda v: v.relu(), 3.0, 3.0, 1.0),
        (lambda v: v.relu(), -3.0, 0.0, 0.0),
        (lambda v: v.relu(), 0.0, 0.0, 0.0),  # PyTorch's convention at the kink
        (lambda v: v.sigmoid(), 0.0, 0.5, 0.25),
        (lambda v: v.tanh(), 0.0, 0.0, 1.0),
        (lambda v: v.exp(), 1.0, math.e, math.e),
        (lambda v: v.log(), 2.0, math.log(2), 0.5),
    ],
)
def test_each_rule(f, x, value, grad):
    v = Value(x)
    out = f(v)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12)
    assert v.grad == pytest.approx(grad, rel=1e-12, abs=1e-15)


def test_pow_with_value_exponent_derivatives():
    x, y = Value(2.0), Value(3.0)
    out = x**y
    out.backward()
    assert out.data == 8.0
    assert x.grad == pytest.approx(3 * 2.0**2)  # y x^(y-1)
    assert y.grad == pytest.approx(8.0 * math.log(2.0))  # x^y ln x


def test_sigmoid_is_stable_for_large_inputs():
    for x in (-1000.0, 1000.0):
        v = Value(x)
        s = v.sigmoid()
        s.backward()
        assert s.data == (0.0 if x < 0 else 1.0)
        assert v.grad == 0.0


def test_repr_and_properties():
    a = Value(1.5, label="a")
    b = a * 2
    assert repr(a) == "Value(data=1.5, grad=0, label='a')"
    assert a.is_leaf and not b.is_leaf
    assert b.op == "*" and b.inputs[0] is a
    assert b.local_grads == (2.0, 1.5)


def test_numpy_scalars_are_accepted_on_both_sides():
    np = pytest.importorskip("numpy")
    v = Value(np.float64(2.0))
    out = np.int64(-3) * v + np.float64(1.0)
    assert isinstance(out, Value)
    assert out.data == -5.0
    out.backward()
    assert v.grad == -3.0


# ---------------------------------------------------------------- bce_with_logits
@pytest.mark.parametrize("z", [-1000.0, -100.0, -3.0, 0.0, 0.7, 100.0, 1000.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_with_logits_is_stable_and_its_gradient_is_sigmoid_minus_y(z, y):
    zv = Value(z)
    loss = bce_with_logits(zv, y)
    loss.backward()
    assert math.isfinite(loss.data) and math.isfinite(zv.grad)
    sig = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    assert zv.grad == pytest.approx(sig - y, abs=1e-15)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(z, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    )
    # abs: for z = -100, y = 0 the exact loss 3.7e-44 is below torch's resolution (it gives 0)
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-30)


def test_bce_with_logits_at_1000_matches_the_limits():
    assert bce_with_logits(Value(1000.0), 0).data == 1000.0
    assert bce_with_logits(Value(-1000.0), 1).data == 1000.0
    assert bce_with_logits(Value(1000.0), 1).data == 0.0


def test_bce_with_logits_rejects_a_target_outside_0_1():
    with pytest.raises(ValueError, match="target in \\[0, 1\\], got 2"):
        bce_with_logits(Value(0.0), 2.0)


# ---------------------------------------------------------------- accumulation
def test_shared_subexpression_accumulates_from_every_path():
    x = Value(3.0)
    a = x * x  # used twice below
    out = a + a * x  # x² + x³
    out.backward()
    assert x.grad == 2 * 3.0 + 3 * 3.0**2
    assert a.grad == 1 + 3.0  # d(a + a x)/da = 1 + x


def test_same_value_as_both_inputs():
    x = Value(5.0)
    (x * x).backward()
    assert x.grad == 10.0
    y = Value(5.0)
    (y + y).backward()
    assert y.grad == 2.0


def test_second_backward_adds_exactly_the_same_again():
    # The lecture's question: without zero_grad, .grad after the second backward is 2x.
    x = Value(2.0)
    w = Value(-3.0)
    loss = ((w * x).tanh() * 3 + x) ** 2
    loss.backward()
    first = (x.grad, w.grad)
    loss.backward()
    assert (x.grad, w.grad) == (2 * first[0], 2 * first[1])
    # Intermediate nodes hold this pass's gradient, not a running sum.
    assert loss.grad == 1.0


def test_graph_stays_after_backward():
    x = Value(2.0)
    y = x * 3
    y.backward()
    assert y.inputs[0] is x and y.local_grads == (3.0, 2.0)


def test_zero_grad_of_a_module_resets_gradients():
    from chainrule.scalar import MLP

    random.seed(0)
    model = MLP(2, [3, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_backward_on_a_leaf_accumulates_one():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_million_node_chain_backpropagates_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(2.0)
    assert len(topological_order(y)) == 2_000_001  # the chain plus a constant per step
    del y  # freeing a deep chain must not overflow the C stack either


def test_topological_order_puts_inputs_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = topological_order(d)
    pos = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for child in v.inputs:
            assert pos[id(child)] < pos[id(v)]
    assert order[-1] is d


# ---------------------------------------------------------------- linear (fused neuron)
def test_linear_is_bit_identical_to_the_sum_of_products():
    rng = random.Random(3)
    w = [Value(rng.uniform(-1, 1)) for _ in range(7)]
    x = [Value(rng.uniform(-1, 1)) for _ in range(7)]
    b = Value(0.3)
    fused = linear(w, x, b).tanh()
    fused.backward()
    g_fused = [v.grad for v in w + x + [b]]
    for v in w + x + [b]:
        v.grad = 0.0
    plain = sum((wi * xi for wi, xi in zip(w, x)), b).tanh()
    plain.backward()
    assert fused.data == plain.data
    assert g_fused == [v.grad for v in w + x + [b]]


def test_linear_checks_lengths():
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        linear([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0], Value(0.0))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("bad", ["3", None, [1.0], True, 1 + 2j])
def test_value_rejects_non_numbers_and_names_them(bad):
    with pytest.raises(TypeError, match="real number") as e:
        Value(bad)
    assert repr(bad) in str(e.value)


def test_operating_with_a_non_number_names_it():
    with pytest.raises(TypeError, match="'abc'"):
        Value(1.0) + "abc"


def test_log_of_non_positive_names_the_value():
    with pytest.raises(ValueError, match=r"log needs a positive number, got Value\(data=-2"):
        Value(-2.0).log()
    with pytest.raises(ValueError, match="log needs a positive number"):
        Value(0.0).log()


def test_pow_with_value_exponent_rejects_non_positive_base():
    with pytest.raises(ValueError, match="needs x > 0.*got x = -1"):
        Value(-1.0) ** Value(2.0)
    with pytest.raises(ValueError, match="needs x > 0"):
        0 ** Value(2.0)


def test_negative_base_to_fractional_power_is_an_error_not_a_complex_number():
    with pytest.raises(ValueError, match="fractional power"):
        Value(-8.0) ** (1 / 3)


def test_division_by_zero_names_the_operands():
    with pytest.raises(ZeroDivisionError, match="division by zero: Value\\(data=1"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError, match="negative power"):
        Value(0.0) ** -1


def test_exp_overflow_is_explained():
    with pytest.raises(OverflowError, match="exp overflows.*1000"):
        Value(1000.0).exp()

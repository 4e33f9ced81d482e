"""Second and higher derivatives of the scalar engine (``grad``, ``backward(create_graph=True)``):
against PyTorch's ``autograd.grad(create_graph=True)``, against central differences of the
first derivatives, and against the first-order reverse mode."""

from __future__ import annotations

import gc
import math
import weakref

import pytest
from hypothesis import assume, given, settings

from chainrule.scalar import Value, bce_with_logits, grad, linear, topological_order
from chainrule.scalar.higher_order import LOCAL_DERIVATIVES, local_derivatives
from test_scalar_value import ValueLib, programs, run_program


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def hessian(root: Value, leaves: list[Value]) -> list[list[float]]:
    """H[i][j] = d²root/dxᵢdxⱼ by grad-of-grad (0 where a first derivative is constant)."""
    first = grad(root, leaves, create_graph=True, allow_unused=True)
    rows = []
    for g in first:
        if g is None:
            rows.append([0.0] * len(leaves))
            continue
        second = grad(g, leaves, allow_unused=True)
        rows.append([0.0 if s is None else s.data for s in second])
    return rows


# ---------------------------------------------------------------- random graphs
@settings(max_examples=120, deadline=None)
@given(programs())
def test_first_order_grad_matches_backward(program):
    """grad (with and without create_graph) gives the numbers the first-order backward gives."""
    inputs, steps = program
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    plain = grad(root, leaves, allow_unused=True)
    graphed = grad(root, leaves, create_graph=True, allow_unused=True)
    root.backward()
    for v, p, g in zip(leaves, plain, graphed):
        assert (p is None) == (g is None)
        if p is None:
            assert v.grad == 0.0
            continue
        assert p.is_leaf  # without create_graph: a number, no history
        assert close(p.data, v.grad) and close(g.data, v.grad), (p.data, g.data, v.grad)


@settings(max_examples=100, deadline=None)
@given(programs())
def test_hessian_matches_pytorch_float64(program):
    torch = pytest.importorskip("torch")
    inputs, steps = program
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    # PyTorch's pow backward masks the base's gradient with where(exponent == 0, 0, ...),
    # which drops d/d(exponent) of that term: its mixed second derivative is wrong exactly at
    # exponent 0 (x - x feeding tanh makes one). Central differences check that case below.
    assume(not any(v.op == "**" and v.inputs[1].data == 0.0 for v in topological_order(root)))
    ours = hessian(root, leaves)

    t_leaves, t_root = run_program(
        inputs, steps, lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True), torch
    )
    t_first = torch.autograd.grad(t_root, t_leaves, create_graph=True, allow_unused=True)
    for i, g in enumerate(t_first):
        for j in range(len(leaves)):
            if g is None or not g.requires_grad:
                expected = 0.0
            else:
                s = torch.autograd.grad(g, t_leaves[j], retain_graph=True, allow_unused=True)[0]
                expected = 0.0 if s is None else s.item()
            assert close(ours[i][j], expected, 1e-8), (i, j, ours[i][j], expected)


@settings(max_examples=50, deadline=None)
@given(programs(smooth=True))
def test_hessian_matches_central_differences_of_gradients(program):
    inputs, steps = program
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    ours = hessian(root, leaves)
    h = 1e-5

    def gradient(xs: list[float]) -> list[float]:
        ls, r = run_program(xs, steps, Value, ValueLib)
        r.backward()  # the first-order reverse mode, differenced
        return [v.grad for v in ls]

    for j in range(len(leaves)):
        up, down = list(inputs), list(inputs)
        up[j] += h
        down[j] -= h
        for i, (a, b) in enumerate(zip(gradient(up), gradient(down))):
            numeric = (a - b) / (2 * h)
            assert math.isclose(ours[i][j], numeric, rel_tol=1e-4, abs_tol=1e-4), (i, j)


@settings(max_examples=40, deadline=None)
@given(programs(smooth=True))
def test_third_derivative_matches_pytorch(program):
    torch = pytest.importorskip("torch")
    inputs, steps = program
    leaves, root = run_program(inputs[:1], [(op, 0, 0) for op, _, _ in steps], Value, ValueLib)
    x = leaves[0]
    derivatives, f = [], root
    for _ in range(3):  # a derivative that no longer depends on x is a constant: then 0
        (f,) = grad(f, [x], create_graph=True, allow_unused=True)
        f = Value(0.0) if f is None else f
        derivatives.append(f.data)

    t_leaves, t_root = run_program(
        inputs[:1],
        [(op, 0, 0) for op, _, _ in steps],
        lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True),
        torch,
    )
    tx = t_leaves[0]
    values = []
    f = t_root
    for _ in range(3):
        if not f.requires_grad:
            values.append(0.0)
            f = torch.zeros((), dtype=torch.float64)
            continue
        f = torch.autograd.grad(f, tx, create_graph=True)[0]
        values.append(f.item())
    for ours, expected in zip(derivatives, values):
        assert close(ours, expected, 1e-7), (ours, expected)


# ---------------------------------------------------------------- each rule
# Every op the engine makes, at a point inside its domain: the op's second-order rule must
# rebuild exactly the local derivative the forward pass recorded.
CATALOGUE = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "**n": lambda a, b: a**2.5,
    "neg": lambda a, b: -a,
    "relu": lambda a, b: a.relu(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "tanh": lambda a, b: a.tanh(),
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "Σw·x+b": lambda a, b: linear([a, b], [b, a], a * b),
    "bce": lambda a, b: bce_with_logits(a, b.sigmoid()),
}


def test_catalogue_covers_the_table():
    assert set(CATALOGUE) == set(LOCAL_DERIVATIVES)


@pytest.mark.parametrize("op", sorted(CATALOGUE))
def test_rule_rebuilds_the_recorded_local_derivative(op):
    a, b = Value(1.3, label="a"), Value(0.7, label="b")
    out = CATALOGUE[op](a, b)
    rebuilt = local_derivatives(out)
    assert len(rebuilt) == len(out.local_grads)
    for r, recorded in zip(rebuilt, out.local_grads):
        number = r.data if isinstance(r, Value) else r
        assert close(number, recorded, 1e-12), (op, number, recorded)


@pytest.mark.parametrize("op", sorted(CATALOGUE))
def test_each_rule_second_derivative_against_pytorch(op):
    torch = pytest.importorskip("torch")
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.3, 0.7))
    torch_ops = {
        "Σw·x+b": lambda a, b: a * b + b * a + a * b,
        "bce": lambda a, b: torch.nn.functional.binary_cross_entropy_with_logits(a, b.sigmoid()),
        "**n": lambda a, b: a**2.5,
        "neg": lambda a, b: -a,
    }
    f = torch_ops.get(op, CATALOGUE[op])
    a, b = Value(1.3), Value(0.7)
    ours = hessian(CATALOGUE[op](a, b), [a, b])
    first = torch.autograd.grad(f(ta, tb), (ta, tb), create_graph=True, allow_unused=True)
    for i, g in enumerate(first):
        for j, leaf in enumerate((ta, tb)):
            s = (
                torch.autograd.grad(g, leaf, retain_graph=True, allow_unused=True)[0]
                if g is not None and g.requires_grad
                else None
            )
            expected = 0.0 if s is None else s.item()
            assert close(ours[i][j], expected, 1e-10), (op, i, j, ours[i][j], expected)


def test_exponent_is_kept_exactly():
    """x ** n's second derivative uses n itself, not the op symbol's 6 digits."""
    n = 1.23456789
    x = Value(2.0)
    (d1,) = grad(x**n, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert close(d2.data, n * (n - 1) * 2.0 ** (n - 2), 1e-14)


def test_pow_at_exponent_zero_matches_central_differences():
    """The case PyTorch gets wrong: (x² + 1) ** tanh(x - y) at x = y (exponent 0)."""
    x, y = Value(1.0), Value(1.0)
    (dx,) = grad((x * x + 1.0) ** (x - y).tanh(), [x], create_graph=True)
    (dxdx,) = grad(dx, [x])
    h = 1e-5

    def slope(at: float) -> float:
        a, b = Value(at), Value(1.0)
        return grad((a * a + 1.0) ** (a - b).tanh(), [a])[0].data

    assert math.isclose(dxdx.data, (slope(1 + h) - slope(1 - h)) / (2 * h), rel_tol=1e-6)


# ---------------------------------------------------------------- backward(create_graph=True)
def test_backward_create_graph_makes_grad_a_value():
    x = Value(3.0, label="x")
    y = x**3 + x * x  # dy/dx = 3x² + 2x = 33, d²y/dx² = 6x + 2 = 20
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 33.0
    assert "grad=33" in repr(x)
    x.grad = 0.0  # as PyTorch: reset before backpropagating the gradient itself
    g.backward()
    assert x.grad == 20.0


@pytest.mark.filterwarnings(
    "ignore:Using backward\\(\\) with create_graph=True"
)  # the cycle, known
def test_backward_create_graph_accumulates_like_pytorch():
    torch = pytest.importorskip("torch")
    x = Value(0.4)
    y = (x * x).tanh() * x
    y.backward(create_graph=True)
    x.grad.backward()  # no reset: x.grad = g + dg/dx, as in PyTorch
    tx = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    ty = (tx * tx).tanh() * tx
    ty.backward(create_graph=True)
    tx.grad.backward()
    assert close(x.grad.data, tx.grad.item(), 1e-12)


def test_backward_create_graph_keeps_first_order_semantics():
    """Leaves accumulate and intermediates hold this pass, as in the first-order backward."""
    a, b = Value(2.0), Value(-1.5)
    c = a * b
    out = c.exp() + a
    out.backward()
    first = (a.grad, b.grad, c.grad)
    a.grad = b.grad = 0.0
    out.backward(create_graph=True)
    assert [v.data for v in (a.grad, b.grad, c.grad)] == pytest.approx(first, rel=1e-15)
    out.backward(create_graph=True)
    assert a.grad.data == pytest.approx(2 * first[0]) and c.grad.data == pytest.approx(first[2])


class Tracked(Value):
    """A leaf that can be watched with a weak reference (Value's slots leave that out)."""

    __slots__ = ("__weakref__",)


def test_grad_stores_nothing_and_frees_by_reference_counting():
    x = Tracked(1.5)
    y = (x * x).sigmoid()
    (g,) = grad(y, [x], create_graph=True)
    (g2,) = grad(g, [x])
    assert x.grad == 0.0 and y.grad == 0.0 and isinstance(g2.data, float)
    leaf = weakref.ref(x)
    gc.disable()
    try:
        del x, y, g
        assert leaf() is None  # no cycle: the last reference gone, the graph is freed at once
    finally:
        gc.enable()


def test_backward_create_graph_cycle_is_collected():
    x = Tracked(1.5)
    y = (x * x).sigmoid()
    y.backward(create_graph=True)
    leaf = weakref.ref(x)
    gc.disable()
    try:
        del x, y
        assert leaf() is not None  # x.grad -> its graph -> x: a cycle keeps it alive ...
    finally:
        gc.enable()
    gc.collect()
    assert leaf() is None  # ... until the collector runs


def test_errors_name_the_problem():
    x, unused = Value(1.0, label="x"), Value(2.0, label="u")
    with pytest.raises(ValueError, match="inputs\\[1\\] 'u' is not used"):
        grad(x * 2, [x, unused])
    assert grad(x * 2, [x, unused], allow_unused=True)[1] is None
    with pytest.raises(TypeError, match="inputs\\[0\\] is a float"):
        grad(x * 2, [1.0])
    strange = Value(3.0, _inputs=(x,), _local_grads=(1.0,), _op="mystery")
    with pytest.raises(NotImplementedError, match="'mystery' has no rule"):
        grad(strange, [x], create_graph=True)
    assert grad(strange, [x])[0].data == 1.0  # first order needs only the recorded number
    with pytest.raises(ValueError, match="create_graph=True cannot be combined"):
        (x * 2).backward(trace=True, create_graph=True)


def test_constant_gradient_is_a_leaf_value():
    x = Value(2.0)
    (g,) = grad(x + 1.0, [x], create_graph=True)
    assert isinstance(g, Value) and g.data == 1.0 and g.is_leaf
    assert grad(g, [x], allow_unused=True) == (None,)


def test_grad_outputs_and_a_single_input_as_in_pytorch():
    torch = pytest.importorskip("torch")
    x, v = Value(0.7), Value(-2.0)
    y = (x * x).tanh()
    (g,) = grad(y, x, grad_outputs=v, create_graph=True)  # v · dy/dx, differentiable in v
    (dv,) = grad(g, [v])
    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tv = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad((tx * tx).tanh(), tx, grad_outputs=tv, create_graph=True)
    (tdv,) = torch.autograd.grad(tg, tv)
    assert close(g.data, tg.item(), 1e-12) and close(dv.data, tdv.item(), 1e-12)
    assert grad(y, x, grad_outputs=3.0)[0].data == pytest.approx(3 * grad(y, x)[0].data)


def test_hessian_vector_product_of_a_scalar_mlp_matches_pytorch():
    """Hv = d(∇L · v)/dw through fused neurons (linear) and tanh, against PyTorch."""
    torch = pytest.importorskip("torch")
    import random

    from chainrule.scalar import MLP

    random.seed(3)
    model = MLP(2, [3, 1], activation="tanh")
    params = model.parameters()
    x, target = [0.4, -1.1], 0.5
    loss = (model(x) - target) ** 2
    v = [math.sin(i + 1.0) for i in range(len(params))]
    first = grad(loss, params, create_graph=True)
    dot = sum((g * vi for g, vi in zip(first, v)), Value(0.0))
    hv = [h.data for h in grad(dot, params)]

    tw = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params]
    k = 0
    hidden = []
    for _ in range(3):  # each neuron's parameters: w0, w1, b (Neuron.parameters order)
        w0, w1, b = tw[k : k + 3]
        hidden.append((w0 * x[0] + w1 * x[1] + b).tanh())
        k += 3
    out = sum(wi * h for wi, h in zip(tw[k : k + 3], hidden)) + tw[k + 3]
    t_loss = (out - target) ** 2
    t_first = torch.autograd.grad(t_loss, tw, create_graph=True)
    t_dot = sum(g * vi for g, vi in zip(t_first, v))
    t_hv = torch.autograd.grad(t_dot, tw)
    assert hv == pytest.approx([t.item() for t in t_hv], rel=1e-10, abs=1e-12)

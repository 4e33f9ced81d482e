"""Gradients of gradients in the tensor engine: ``create_graph=True`` on every rule in the table.

Every entry of the op catalogue (``test_tensor_ops.CASES``, which covers the whole rule table) is
differentiated twice, in float64, on inputs drawn by hypothesis:

1. the recorded first derivative and the second derivatives (with respect to the inputs *and* to
   the upstream gradient G) match ``torch.autograd.grad(create_graph=True)``;
2. the second derivative along a random direction u matches a central difference of the
   first-order (NumPy) gradient: (∇L(x + εu) − ∇L(x − εu)) / 2ε.

Then the engine's promises: rules without a second derivative fail by name, backward(create_graph)
fills a differentiable ``.grad``, a recorded graph dies with its last tensor, gradgradcheck.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import autograd, tensor
from chainrule._tensor.dispatch import apply
from chainrule.autograd.rules import RULES, register
from chainrule.finite_differences import GradcheckError
from test_tensor_ops import CASES, OURS, SETTINGS, THEIRS, Case, build

torch = pytest.importorskip("torch")


def _zeros_for_none(grads, like):
    return [np.zeros(t.shape) if g is None else _np(g) for g, t in zip(grads, like)]


def _graph_tensors(t):
    """Every tensor reachable from t through grad_fn inputs, t included."""
    found, stack, seen = [], [t], set()
    while stack:
        u = stack.pop()
        if id(u) in seen:
            continue
        seen.add(id(u))
        found.append(u)
        if u.grad_fn is not None and u.grad_fn.inputs is not None:
            stack.extend(i for i in u.grad_fn.inputs if isinstance(i, chainrule.Tensor))
    return found


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # force: torch may hand back a lazy ZeroTensor
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
@settings(SETTINGS, max_examples=6)
@given(data=st.data())
def test_second_derivatives_match_torch_and_differences_of_first(c: Case, data):
    inputs, params = c.make(data.draw)
    diff = [i for i, (_, d) in enumerate(inputs) if d]
    ours, theirs = build(OURS, inputs), build(THEIRS, inputs)
    out = c.fn(OURS, *ours, **params)
    ref = c.fn(THEIRS, *theirs, **params)
    rng = np.random.default_rng(7)
    G = rng.standard_normal(out.shape)
    g_ours, g_theirs = tensor(G, requires_grad=True), torch.tensor(G, requires_grad=True)

    first = autograd.grad((out * g_ours).sum(), [ours[i] for i in diff], create_graph=True)
    first_t = torch.autograd.grad(
        (ref * g_theirs).sum(), [theirs[i] for i in diff], create_graph=True
    )
    for a, b in zip(first, first_t):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-8, atol=1e-10)

    # S = Σ_i <∇_i L, V_i>, differentiated again w.r.t. the inputs and G
    V = [rng.standard_normal(ours[i].shape) for i in diff]
    S = sum((f * tensor(v)).sum() for f, v in zip(first, V))
    S_t = sum((f * torch.tensor(v)).sum() for f, v in zip(first_t, V))
    targets = [ours[i] for i in diff] + [g_ours]
    targets_t = [theirs[i] for i in diff] + [g_theirs]
    second = autograd.grad(S, targets, allow_unused=True) if S.requires_grad else [None] * 3
    second_t = (
        torch.autograd.grad(S_t, targets_t, allow_unused=True)
        if S_t.requires_grad
        else [None] * len(targets_t)
    )
    for k, (a, b) in enumerate(
        zip(_zeros_for_none(second, targets), _zeros_for_none(second_t, targets_t))
    ):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=f"target {k}")

    # Directional central difference of the first-order (NumPy path) gradient.
    U = [rng.standard_normal(ours[i].shape) for i in diff]
    arrays = [np.array(a, dtype=np.float64) if d else a for a, d in inputs]

    def h(step):
        moved = list(arrays)
        for i, u in zip(diff, U):
            moved[i] = arrays[i] + step * u
        ts = [tensor(a, requires_grad=d) for a, (_, d) in zip(moved, inputs)]
        y = c.fn(OURS, *ts, **params)
        gs = autograd.grad((y * tensor(G)).sum(), [ts[i] for i in diff], allow_unused=True)
        return sum(float((_np(g) * v).sum()) for g, v in zip(_zeros_for_none(gs, U), V))

    eps = 1e-5
    numeric = (h(eps) - h(-eps)) / (2 * eps)
    analytic = sum(
        float((s * u).sum()) for s, u in zip(_zeros_for_none(second, targets)[: len(diff)], U)
    )
    assert abs(analytic - numeric) <= 1e-5 + 1e-4 * abs(numeric), (analytic, numeric)


def test_every_rule_has_a_second_derivative_or_is_listed():
    missing = {name for name, rule in RULES.items() if rule.graph_vjp is None}
    assert missing == set(autograd.rules.WITHOUT_SECOND_DERIVATIVE)


def test_a_rule_without_a_second_derivative_fails_by_name():
    class Square(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x).sum()
    with pytest.raises(RuntimeError, match=r"Square: second derivative not implemented"):
        autograd.grad(y, x, create_graph=True)


def test_backward_create_graph_gives_a_differentiable_grad_like_torch():
    x = tensor([0.5, -1.0, 2.0], dtype=chainrule.float64, requires_grad=True)
    xt = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for t in (x, xt):
        y = (t.tanh() * t**3).sum()
        y.backward(create_graph=True)
        g = t.grad
        assert g.requires_grad
        t.grad = None
        g.sum().backward(inputs=[t])
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_third_and_fourth_derivatives_of_a_power():
    x = tensor(1.5, dtype=chainrule.float64, requires_grad=True)
    d = x**5
    derivs = []
    for _ in range(4):
        (d,) = autograd.grad(d, x, create_graph=True)
        derivs.append(float(d))
    assert derivs == pytest.approx([5 * 1.5**4, 20 * 1.5**3, 60 * 1.5**2, 120 * 1.5])


def test_backward_inputs_accumulates_only_into_those_tensors():
    a = tensor([1.0, 2.0], requires_grad=True)
    b = tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])


def test_grad_of_several_outputs_sums_their_vjps_like_torch():
    x = tensor([1.0, 2.0], dtype=chainrule.float64, requires_grad=True)
    xt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    ours = autograd.grad([x.exp().sum(), (x * x).sum()], x)
    theirs = torch.autograd.grad([xt.exp().sum(), (xt * xt).sum()], xt)
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy())


def test_a_graph_built_with_create_graph_is_freed_with_its_last_tensor():
    x = tensor(np.linspace(-1, 1, 5), requires_grad=True)
    y = (x.sin() * x.exp()).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.grad_fn is not None
    # every tensor the recorded backward pass made (all but the leaf x)
    made = [weakref.ref(t) for t in _graph_tensors(g) if t is not x]
    assert len(made) > 3
    del y, g
    alive = [r for r in made if r() is not None]
    assert not alive, f"{len(alive)} tensors of a create_graph graph outlived it"


def test_a_create_graph_backward_cycle_is_collected():
    # x.grad's graph refers back to x (as in PyTorch): a cycle, which the collector frees.
    x = tensor(np.linspace(-1, 1, 5), requires_grad=True)
    (x.exp() * x).sum().backward(create_graph=True)
    made = [weakref.ref(t) for t in _graph_tensors(x.grad)]
    del x
    gc.collect()
    assert all(r() is None for r in made)


def test_first_order_backward_still_frees_and_records_nothing():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_gradgradcheck_passes_like_torch_and_catches_a_wrong_second_derivative():
    x = tensor([0.3, -0.7], dtype=chainrule.float64, requires_grad=True)
    xt = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    assert autograd.gradgradcheck(lambda t: (t.sin() * t**2).sum(), (x,))
    assert torch.autograd.gradgradcheck(lambda t: (t.sin() * t**2).sum(), (xt,))

    # A rule whose VJP is right but whose recorded VJP cuts x off the graph: d²/dx² is lost.
    def forward(a):
        return a**3, a

    def vjp(g, a, needs):
        return (3 * g * a * a,)

    def graph_vjp(g, inputs, a, needs):
        return (3 * g * (inputs[0].detach() ** 2),)

    register("_test_cube", forward, vjp, graph_vjp=graph_vjp)
    try:
        cube = lambda t: apply("_test_cube", t).sum()  # noqa: E731
        assert autograd.gradcheck(cube, (x,))
        with pytest.raises(GradcheckError, match="Jacobian mismatch"):
            autograd.gradgradcheck(cube, (x,))
        assert not autograd.gradgradcheck(cube, (x,), raise_exception=False)
    finally:
        del RULES["_test_cube"]


def test_getitem_backward_rule_is_differentiated_three_times():
    # getitem's VJP is a rule of its own (getitem_backward) so grad-of-grad goes through it.
    x = tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = (x[:, [0, 0, 2]] ** 3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x, create_graph=True)
    (k,) = autograd.grad(h.sum(), x)
    xt = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).requires_grad_()
    yt = (xt[:, [0, 0, 2]] ** 3).sum()
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt, create_graph=True)
    (kt,) = torch.autograd.grad(ht.sum(), xt)
    for a, b in ((g, gt), (h, ht), (k, kt)):
        np.testing.assert_allclose(_np(a), _np(b))


# ---------------------------------------------------------------------------------------------
# Randomized graphs: chains of rules composed, differentiated twice and in forward mode
# ---------------------------------------------------------------------------------------------
STEPS = {
    "sin": lambda ns, h, w: h.sin(),
    "tanh": lambda ns, h, w: h.tanh(),
    "sigmoid": lambda ns, h, w: h.sigmoid(),
    "exp_small": lambda ns, h, w: (h * 0.3).exp(),
    "square": lambda ns, h, w: h * h,
    "mul_w": lambda ns, h, w: h * w,
    "div_w": lambda ns, h, w: h / (w * w + 1.0),
    "matmul": lambda ns, h, w: ns.matmul(
        h.reshape(1, -1), w.reshape(-1, 1) * h.reshape(1, -1)
    ).reshape(-1),
    "softmax": lambda ns, h, w: h.softmax(dim=0) * 3.0,
    "log_softmax": lambda ns, h, w: ns.F.log_softmax(h, dim=0),
    "logsumexp_add": lambda ns, h, w: h + ns.mod.logsumexp(h * w, 0),
    "cumsum": lambda ns, h, w: h.cumsum(0) * 0.5,
    "flip_cat": lambda ns, h, w: ns.cat([h.flip(0)[:2], h[2:] * w[2:]]),
    "gelu": lambda ns, h, w: ns.F.gelu(h),
    "norm_scale": lambda ns, h, w: h / (h.norm() + 1.0),
    "prod_mix": lambda ns, h, w: h + (h * 0.5).prod() * w,
}


@settings(SETTINGS, max_examples=40)
@given(
    steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_random_graphs_second_derivatives_and_jvps_match_torch(steps, seed):
    rng = np.random.default_rng(seed)
    x0, w0, u = rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4), rng.standard_normal(4)

    def f(ns, x, w):
        h = x
        for name in steps:
            h = STEPS[name](ns, h, w)
        return (h * h).sum()

    x, w = tensor(x0, requires_grad=True), tensor(w0, requires_grad=True)
    xt, wt = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    gx, gw = autograd.grad(f(OURS, x, w), (x, w), create_graph=True, allow_unused=True)
    gxt, gwt = torch.autograd.grad(
        f(THEIRS, xt, wt), (xt, wt), create_graph=True, allow_unused=True
    )
    assert (gw is None) == (gwt is None)
    s = (gx * tensor(u)).sum() + (0 if gw is None else (gw * gw).sum())
    s_t = (gxt * torch.tensor(u)).sum() + (0 if gwt is None else (gwt * gwt).sum())
    ours = autograd.grad(s, (x, w), allow_unused=True)
    theirs = torch.autograd.grad(s_t, (xt, wt), allow_unused=True)
    for a, b in zip(_zeros_for_none(ours, (x, w)), _zeros_for_none(theirs, (x, w))):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10, err_msg=str(steps))

    from chainrule.autograd import forward_ad as fwad

    with fwad.dual_level():
        d = fwad.make_dual(tensor(x0), tensor(u))
        tangent = fwad.unpack_dual(f(OURS, d, tensor(w0))).tangent
    with torch.autograd.forward_ad.dual_level():
        dt = torch.autograd.forward_ad.make_dual(torch.tensor(x0), torch.tensor(u))
        ref = torch.autograd.forward_ad.unpack_dual(f(THEIRS, dt, torch.tensor(w0))).tangent
    np.testing.assert_allclose(_np(tangent), _np(ref), rtol=1e-8, atol=1e-10, err_msg=str(steps))

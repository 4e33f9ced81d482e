"""``chainrule.func`` and ``chainrule.autograd.functional`` against ``torch.func`` and
``torch.autograd.functional`` (PyTorch 2.13, float64).

- the Hessian of L = Σ out·G for every entry of the op catalogue (the whole rule table), by
  forward-over-reverse (``func.hessian``), reverse-over-reverse, and ``functional.hessian``;
- the transforms on a small MLP: grad / grad_and_value (argnums, has_aux), vjp, jvp, jacrev,
  jacfwd, hessian, functional_call, and vmap over the MLP ops (in_dims / out_dims), including
  per-example gradients ``vmap(grad(loss))``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import func, tensor
from chainrule.autograd import functional as AF
from chainrule.nn import functional as F
from test_tensor_ops import CASES, OURS, SETTINGS, THEIRS, Case, build

torch = pytest.importorskip("torch")
tfunc = torch.func


def close(a, b, **kw):
    kw.setdefault("rtol", 1e-8)
    kw.setdefault("atol", 1e-10)
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(), **kw)


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
@settings(SETTINGS, max_examples=3)
@given(data=st.data())
def test_hessian_of_every_catalogue_op_matches_torch(c: Case, data):
    inputs, params = c.make(data.draw)
    diff = [i for i, (_, d) in enumerate(inputs) if d]
    k = diff[0]  # the Hessian with respect to the first differentiable input
    ours, theirs = build(OURS, inputs), build(THEIRS, inputs)
    probe = c.fn(OURS, *ours, **params)
    G = np.random.default_rng(5).standard_normal(probe.shape)

    def scalar(ns, args, wrap):
        def f(x):
            moved = list(args)
            moved[k] = x
            return (c.fn(ns, *moved, **params) * wrap(G)).sum()

        return f

    f_ours = scalar(OURS, [t.detach() if i in diff else t for i, t in enumerate(ours)], tensor)
    f_theirs = scalar(THEIRS, [t.detach() for t in theirs], torch.tensor)
    x, xt = ours[k].detach(), theirs[k].detach()
    try:
        ref = torch.autograd.functional.hessian(f_theirs, xt)
    except RuntimeError as e:
        # torch 2.13 sends norm over three dims to matrix_norm, which refuses to double-backward:
        # check against central differences of chainrule's first-order gradient instead.
        assert c.name == "norm_dim" and "matrix_norm" in str(e), e
        ref = torch.tensor(_hessian_by_differences(f_ours, x.numpy()))
    tol = {"rtol": 1e-7, "atol": 1e-9} if c.name != "norm_dim" else {"rtol": 1e-5, "atol": 1e-6}
    close(func.hessian(f_ours)(x), ref, **tol)  # forward over reverse
    close(func.jacrev(func.jacrev(f_ours))(x), ref, **tol)  # reverse over reverse
    close(AF.hessian(f_ours, x), ref, **tol)


def _hessian_by_differences(f, x, eps=1e-6):
    n = x.size
    H = np.zeros((n, n))
    for k in range(n):
        step = np.zeros(n)
        step[k] = eps
        plus = func.grad(f)(tensor(x + step.reshape(x.shape))).numpy().ravel()
        minus = func.grad(f)(tensor(x - step.reshape(x.shape))).numpy().ravel()
        H[:, k] = (plus - minus) / (2 * eps)
    return H.reshape(x.shape + x.shape)


# ---------------------------------------------------------------------------------------------
# The transforms on an MLP
# ---------------------------------------------------------------------------------------------
def mlp_params(lib, rng_seed=0, sizes=(3, 4, 2)):
    rng = np.random.default_rng(rng_seed)
    arrays = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        arrays[f"w{i}"] = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
        arrays[f"b{i}"] = rng.standard_normal(n_out) * 0.1
    make = tensor if lib is chainrule else torch.tensor
    return {k: make(v) for k, v in arrays.items()}


def mlp_loss(lib, Fn):
    def loss(p, x, y):
        h = Fn.linear(x, p["w0"], p["b0"]).tanh()
        logits = Fn.linear(h, p["w1"], p["b1"])
        return Fn.cross_entropy(logits, y)

    return loss


def flat_loss(lib, Fn, x, y, shapes):
    """The MLP loss as a function of one flat parameter vector (for Hessians)."""

    def loss(theta):
        p, start = {}, 0
        for name, shape in shapes.items():
            n = int(np.prod(shape))
            p[name] = theta[start : start + n].reshape(shape)
            start += n
        return mlp_loss(lib, Fn)(p, x, y)

    return loss


@pytest.fixture
def batch():
    rng = np.random.default_rng(1)
    return rng.standard_normal((5, 3)), rng.integers(0, 2, 5)


def test_grad_and_value_of_the_mlp_loss_match_torch_func(batch):
    x, y = batch
    ours = func.grad_and_value(mlp_loss(chainrule, F))(mlp_params(chainrule), tensor(x), tensor(y))
    theirs = tfunc.grad_and_value(mlp_loss(torch, torch.nn.functional))(
        mlp_params(torch), torch.tensor(x), torch.tensor(y)
    )
    for name in ours[0]:
        close(ours[0][name], theirs[0][name])
    close(ours[1], theirs[1])


def test_grad_with_argnums_and_has_aux_like_torch_func():
    def f(ns_exp):
        return lambda a, b: ((a * b).sum() ** 2, ns_exp(a))

    a, b = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    ours = func.grad(f(lambda t: t.exp()), argnums=(0, 1), has_aux=True)(tensor(a), tensor(b))
    theirs = tfunc.grad(f(torch.exp), argnums=(0, 1), has_aux=True)(
        torch.tensor(a), torch.tensor(b)
    )
    for o, t in zip(ours[0], theirs[0]):
        close(o, t)
    close(ours[1], theirs[1])


def test_vjp_and_jvp_match_torch_func():
    def f(ns):
        return lambda x, w: (x @ w).sin()

    rng = np.random.default_rng(2)
    x, w, v, u = (rng.standard_normal(s) for s in [(2, 3), (3, 4), (2, 4), (3, 4)])
    out, vjp_fn = func.vjp(f(chainrule), tensor(x), tensor(w))
    out_t, vjp_t = tfunc.vjp(f(torch), torch.tensor(x), torch.tensor(w))
    close(out, out_t)
    for o, t in zip(vjp_fn(tensor(v)), vjp_t(torch.tensor(v))):
        close(o, t)
    ours = func.jvp(lambda w_: f(chainrule)(tensor(x), w_), (tensor(w),), (tensor(u),))
    theirs = tfunc.jvp(
        lambda w_: f(torch)(torch.tensor(x), w_), (torch.tensor(w),), (torch.tensor(u),)
    )
    close(ours[0], theirs[0])
    close(ours[1], theirs[1])


def test_jacrev_and_jacfwd_agree_with_torch_func():
    def f(x):
        return (x.tanh() * x.sum()).exp()

    x = np.random.default_rng(3).standard_normal(4)
    ref = tfunc.jacrev(f)(torch.tensor(x))
    close(func.jacrev(f)(tensor(x)), ref)
    close(func.jacfwd(f)(tensor(x)), ref)
    close(AF.jacobian(f, tensor(x)), ref)
    close(AF.jacobian(f, tensor(x), strategy="forward-mode"), ref)


def test_jacobian_of_several_inputs_and_outputs_like_torch():
    def f(a, b):
        return a * b, (a + b).exp()

    a, b = np.array([1.0, 2.0]), np.array([0.5, -0.5, 1.5])[:2]
    ours = AF.jacobian(f, (tensor(a), tensor(b)))
    theirs = torch.autograd.functional.jacobian(f, (torch.tensor(a), torch.tensor(b)))
    for row_o, row_t in zip(ours, theirs):
        for o, t in zip(row_o, row_t):
            close(o, t)
    jr = func.jacrev(f, argnums=(0, 1))(tensor(a), tensor(b))
    for row_o, row_t in zip(jr, theirs):
        for o, t in zip(row_o, row_t):
            close(o, t)


def test_hessian_of_the_mlp_loss_three_ways_matches_torch(batch):
    x, y = batch
    p = mlp_params(chainrule)
    shapes = {k: tuple(v.shape) for k, v in p.items()}
    theta = np.concatenate([v.numpy().ravel() for v in p.values()])
    ours_f = flat_loss(chainrule, F, tensor(x), tensor(y), shapes)
    theirs_f = flat_loss(torch, torch.nn.functional, torch.tensor(x), torch.tensor(y), shapes)
    ref = tfunc.hessian(theirs_f)(torch.tensor(theta))
    close(func.hessian(ours_f)(tensor(theta)), ref, rtol=1e-7)
    close(AF.hessian(ours_f, tensor(theta)), ref, rtol=1e-7)
    u = np.random.default_rng(4).standard_normal(theta.size)
    _, hvp = AF.hvp(ours_f, tensor(theta), tensor(u))
    _, hvp_t = torch.autograd.functional.hvp(theirs_f, torch.tensor(theta), torch.tensor(u))
    close(hvp, hvp_t, rtol=1e-7)
    out, vjp = AF.vjp(ours_f, tensor(theta))
    out_t, vjp_t = torch.autograd.functional.vjp(theirs_f, torch.tensor(theta))
    close(out, out_t)
    close(vjp, vjp_t)
    out, jvp = AF.jvp(ours_f, tensor(theta), tensor(u))
    _, jvp_t = torch.autograd.functional.jvp(theirs_f, torch.tensor(theta), torch.tensor(u))
    close(jvp, jvp_t)


def test_functional_call_runs_a_module_with_given_parameters_like_torch(batch):
    x, _ = batch
    model = chainrule.nn.Sequential(
        chainrule.nn.Linear(3, 4), chainrule.nn.Tanh(), chainrule.nn.Linear(4, 2)
    )
    model_t = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)
    ).double()
    rng = np.random.default_rng(6)
    given = {n: rng.standard_normal(tuple(p.shape)) for n, p in model.named_parameters()}
    before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    ours = func.functional_call(model, {n: tensor(a) for n, a in given.items()}, (tensor(x),))
    theirs = tfunc.functional_call(
        model_t, {n: torch.tensor(a) for n, a in given.items()}, (torch.tensor(x),)
    )
    close(ours, theirs)
    for n, p in model.named_parameters():  # the module's own parameters are back in place
        np.testing.assert_array_equal(p.detach().numpy(), before[n])
    grads = func.grad(lambda ps: func.functional_call(model, ps, (tensor(x),)).sum())(
        {n: tensor(a) for n, a in given.items()}
    )
    grads_t = tfunc.grad(lambda ps: tfunc.functional_call(model_t, ps, (torch.tensor(x),)).sum())(
        {n: torch.tensor(a) for n, a in given.items()}
    )
    for n in grads:
        close(grads[n], grads_t[n])
    with pytest.raises(RuntimeError, match="no parameter or buffer 'nope'"):
        func.functional_call(model, {"nope": tensor(1.0)}, (tensor(x),))


@pytest.mark.parametrize(
    "name, fn",
    [
        ("linear_relu", lambda Fn, x, w, b: Fn.relu(Fn.linear(x, w, b))),
        ("tanh_softmax", lambda Fn, x, w, b: Fn.softmax(Fn.linear(x, w, b).tanh(), dim=-1)),
        ("sigmoid_sum", lambda Fn, x, w, b: Fn.sigmoid(x @ w.T + b).sum()),
        ("log_softmax", lambda Fn, x, w, b: Fn.log_softmax(Fn.linear(x, w, b), dim=-1)),
    ],
)
@settings(SETTINGS, max_examples=5)
@given(batch=st.integers(1, 4), out_dim=st.sampled_from([0, 1]), seed=st.integers(0, 1000))
def test_vmap_over_the_mlp_ops_matches_torch_func(name, fn, batch, out_dim, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((3, batch)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    ours = func.vmap(
        lambda xi: fn(F, xi, tensor(w), tensor(b)),
        in_dims=1,
        out_dims=out_dim if name != "sigmoid_sum" else 0,
    )(tensor(x))
    theirs = tfunc.vmap(
        lambda xi: fn(torch.nn.functional, xi, torch.tensor(w), torch.tensor(b)),
        in_dims=1,
        out_dims=out_dim if name != "sigmoid_sum" else 0,
    )(torch.tensor(x))
    close(ours, theirs)


def test_vmap_of_grad_gives_per_example_gradients_like_torch_func(batch):
    x, y = batch

    def per_example(lib, Fn, transforms):
        def loss(p, xi, yi):  # one example, as a batch of one
            return mlp_loss(lib, Fn)(p, xi.reshape(1, -1), yi.reshape(1))

        return transforms.vmap(transforms.grad(loss), in_dims=(None, 0, 0))

    g = per_example(chainrule, F, func)(mlp_params(chainrule), tensor(x), tensor(y))
    g_t = per_example(torch, torch.nn.functional, tfunc)(
        mlp_params(torch), torch.tensor(x), torch.tensor(y)
    )
    assert set(g) == set(g_t)
    for name in g:
        assert tuple(g[name].shape) == tuple(g_t[name].shape)
        close(g[name], g_t[name])


def test_vmap_checks_its_dims():
    with pytest.raises(ValueError, match="vmap: mapped dims have different sizes"):
        func.vmap(lambda a, b: a + b)(tensor(np.zeros(2)), tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="in_dims has 1 entries for 2 arguments"):
        func.vmap(lambda a, b: a + b, in_dims=(0,))(tensor(np.zeros(2)), tensor(np.zeros(2)))

"""chainrule.autograd.Function: a hand-written backward, checked against autograd, finite
differences and torch.autograd.Function running the same class body."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import chainrule

torch = pytest.importorskip("torch")


def make_linear(lib):
    """The lab's layer, y = x Wᵀ + b, with its backward by hand (same body for both engines)."""

    class LinearFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, b):
            ctx.save_for_backward(x, w)
            return x @ w.t() + b

        @staticmethod
        def backward(ctx, g):  # g: (B, out)
            x, w = ctx.saved_tensors
            gx = g @ w if ctx.needs_input_grad[0] else None  # (B, in)
            return gx, g.t() @ x, g.sum(0)  # dW = gᵀx (out, in), db = Σ_batch g

    return LinearFn


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    x=hnp.arrays(np.float64, (3, 4), elements={"min_value": -2, "max_value": 2}),
    w=hnp.arrays(np.float64, (2, 4), elements={"min_value": -2, "max_value": 2}),
)
def test_hand_written_linear_matches_autograd_and_torch(x, w):
    b = np.array([0.5, -0.25])
    grads = {}
    for name, lib in (("chainrule", chainrule), ("torch", torch)):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        out = make_linear(lib).apply(*ts)
        (out * out).sum().backward()
        grads[name] = [t.grad.detach().numpy() if name == "torch" else t.grad.numpy() for t in ts]
    ref = [chainrule.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = ref[0] @ ref[1].t() + ref[2]
    (y * y).sum().backward()
    for ours, theirs, auto in zip(grads["chainrule"], grads["torch"], ref):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours, auto.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_gradcheck_accepts_a_correct_backward_and_rejects_a_wrong_one():
    Lin = make_linear(chainrule)

    class Wrong(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return x * g  # forgot the 2

    args = [chainrule.randn(3, 4, dtype=chainrule.float64, requires_grad=True) for _ in range(1)]
    w = chainrule.randn(2, 4, dtype=chainrule.float64, requires_grad=True)
    b = chainrule.randn(2, dtype=chainrule.float64, requires_grad=True)
    assert chainrule.autograd.gradcheck(lambda x, w, b: Lin.apply(x, w, b), (args[0], w, b))
    with pytest.raises(chainrule.GradcheckError):
        chainrule.autograd.gradcheck(Wrong.apply, (args[0],))


def test_node_names_counts_and_errors_follow_torch():
    class Half(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k  # a non-tensor argument: stored on ctx, gets no gradient
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k  # one gradient for two inputs: an error, as in torch

    x = chainrule.ones(2, requires_grad=True)
    y = Half.apply(x, 0.5)
    assert repr(y.grad_fn) == "<HalfBackward>" and y.requires_grad
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        y.sum().backward()
    with chainrule.no_grad():
        assert Half.apply(x, 0.5).grad_fn is None
    with pytest.raises(TypeError, match="save_for_backward"):

        class Bad(chainrule.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3)
                return x

        Bad.apply(x)


def test_a_none_gradient_means_zeros_for_an_input_that_needs_one():
    class Stop(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, None

    x, y = chainrule.ones(2, requires_grad=True), chainrule.ones(2, requires_grad=True)
    Stop.apply(x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [0.0, 0.0]


def make_two_outputs(lib, materialize=True):
    """y = x², z = sin(x) and the argmax of x (not differentiable), one backward for both."""

    class SquareSinArgmax(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * x, x.sin(), index

        @staticmethod
        def backward(ctx, gy, gz, g_index):
            (x,) = ctx.saved_tensors
            total = lib.zeros_like(x)
            if gy is not None:
                total = total + 2 * x * gy
            if gz is not None:
                total = total + x.cos() * gz
            return total

    return SquareSinArgmax


@pytest.mark.parametrize("use", ["both", "first", "second"])
@pytest.mark.parametrize("materialize", [True, False])
def test_a_function_with_several_outputs_matches_torch(use, materialize):
    x0 = np.random.default_rng(0).normal(size=5)
    grads, indices = {}, {}
    for name, lib in (("chainrule", chainrule), ("torch", torch)):
        x = lib.tensor(x0, requires_grad=True)
        y, z, index = make_two_outputs(lib, materialize).apply(x)
        assert not index.requires_grad and y.requires_grad and z.requires_grad
        loss = {"both": (y * 3).sum() + (z * z).sum(), "first": y.sum(), "second": z.sum()}[use]
        loss.backward()
        grads[name] = x.grad.detach().numpy() if name == "torch" else x.grad.numpy()
        indices[name] = int(index)
    np.testing.assert_allclose(grads["chainrule"], grads["torch"], rtol=1e-12)
    assert indices["chainrule"] == indices["torch"]


def test_several_outputs_are_checked_by_gradcheck_and_named():
    fn = make_two_outputs(chainrule)
    x = chainrule.randn(4, dtype=chainrule.float64, requires_grad=True)
    assert chainrule.autograd.gradcheck(lambda t: fn.apply(t)[:2], (x,))
    y, z, _ = fn.apply(x)
    assert y.grad_fn.name() == z.grad_fn.name() == "SquareSinArgmaxBackward"

    class NotATensor(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, 3

    with pytest.raises(TypeError, match="a tensor or a tuple of tensors .got int."):
        NotATensor.apply(x)

"""Hand-written backward passes (``chainrule.lab.manual``) against finite differences,
PyTorch and the slides' numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.lab import manual


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function f with respect to every entry of x."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def test_slide_linear_layer_numbers():
    # x = [2, 3], W = [[0.1, 0.2], [0.3, 0.4]] (out x in), δ = [0.5, -0.1]
    W_slide = np.array([[0.1, 0.2], [0.3, 0.4]])
    layer = manual.Linear(W_slide, np.zeros(2))  # PyTorch's layout: the slide's W as it is
    layer.forward(np.array([[2.0, 3.0]]))
    dx = layer.backward(np.array([[0.5, -0.1]]))
    # ∂L/∂W = δ xᵀ, the shape of W
    np.testing.assert_allclose(layer.grads["W"], [[1.0, 1.5], [-0.2, -0.3]], atol=1e-15)
    np.testing.assert_allclose(layer.grads["b"], [0.5, -0.1])
    np.testing.assert_allclose(dx, [[0.02, 0.06]], atol=1e-15)


def make_mlp(rng, sizes, act=manual.ReLU):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(manual.Linear(rng.normal(size=(b, a)) / np.sqrt(a), rng.normal(size=b) * 0.1))
        if i < len(sizes) - 2:
            layers.append(act())
    return manual.Sequential(*layers)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(2, 5),
    st.integers(2, 4),
    st.sampled_from(["relu", "sigmoid"]),
    st.integers(0, 2**31 - 1),
)
def test_mlp_with_cross_entropy_matches_finite_differences(batch, d_in, hidden, classes, act, seed):
    rng = np.random.default_rng(seed)
    model = make_mlp(rng, [d_in, hidden, classes], manual.ReLU if act == "relu" else manual.Sigmoid)
    x = rng.normal(size=(batch, d_in))
    y = rng.integers(0, classes, size=batch)
    loss_fn = manual.SoftmaxCrossEntropy()

    def loss():
        return loss_fn.forward(model.forward(x), y)

    loss()
    dx = model.backward(loss_fn.backward())
    # Kinks of relu at exactly 0 have probability zero for continuous random inputs.
    for name, p in model.named_params().items():
        np.testing.assert_allclose(
            model.named_grads()[name], numeric_grad(loss, p), rtol=1e-5, atol=1e-7
        )
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-5, atol=1e-7)


def test_mse_and_sigmoid_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    model = make_mlp(rng, [3, 4, 2], manual.Sigmoid)
    x, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    mse = manual.MSE()
    value = mse.forward(model.forward(x), target)
    model.backward(mse.backward())

    lin1 = torch.nn.Linear(3, 4).double()
    lin2 = torch.nn.Linear(4, 2).double()
    with torch.no_grad():
        lin1.weight.copy_(
            torch.from_numpy(model.layers[0].params["W"])
        )  # the same (out, in) layout
        lin1.bias.copy_(torch.from_numpy(model.layers[0].params["b"]))
        lin2.weight.copy_(
            torch.from_numpy(model.layers[2].params["W"])
        )  # the same (out, in) layout
        lin2.bias.copy_(torch.from_numpy(model.layers[2].params["b"]))
    out = lin2(torch.sigmoid(lin1(torch.from_numpy(x))))
    t_loss = torch.nn.functional.mse_loss(out, torch.from_numpy(target))
    t_loss.backward()
    assert value == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(model.layers[0].grads["W"], lin1.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(model.layers[2].grads["b"], lin2.bias.grad.numpy(), rtol=1e-10)


def test_softmax_cross_entropy_matches_pytorch_and_is_stable():
    torch = pytest.importorskip("torch")
    logits = np.array([[1000.0, 0.0, -1000.0], [2.0, 1.0, 0.1]])
    labels = np.array([1, 0])
    ce = manual.SoftmaxCrossEntropy()
    value = ce.forward(logits, labels)
    grad = ce.backward()
    t = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    t_loss.backward()
    assert value == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), atol=1e-15)


def test_errors_name_shapes_and_order():
    layer = manual.Linear(np.zeros((2, 3)), np.zeros(2))  # (d_out, d_in)
    with pytest.raises(
        ValueError, match=r"input of shape \(4, 2\) does not match W of shape \(2, 3\)"
    ):
        layer.forward(np.zeros((4, 2)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        manual.ReLU().backward(np.zeros(3))
    with pytest.raises(ValueError, match="W must be"):
        manual.Linear(np.zeros((3, 2)), np.zeros(2))  # b must match d_out = 3
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        manual.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 3]))


def test_float32_stays_float32():
    rng = np.random.default_rng(1)
    model = make_mlp(rng, [4, 3, 2])
    for layer in model.layers:
        for k, v in layer.params.items():
            layer.params[k] = v.astype(np.float32)
    x = rng.normal(size=(2, 4)).astype(np.float32)
    ce = manual.SoftmaxCrossEntropy()
    ce.forward(model.forward(x), np.array([0, 1]))
    dx = model.backward(ce.backward().astype(np.float32))
    assert dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in model.named_grads().values())

"""The scalar engine and the tensor engine compute the same gradients for the same MLP."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import nn, tensor
from chainrule.scalar import MLP, Value


def tensor_copy(scalar_mlp: MLP, activation: str) -> nn.Sequential:
    """The same network as chainrule.nn layers (float64), weights copied neuron by neuron."""
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[activation]
    layers = []
    for i, layer in enumerate(scalar_mlp.layers):
        lin = nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=np.float64)
        lin.weight.data = np.array([[w.data for w in n.w] for n in layer.neurons])
        lin.bias.data = np.array([n.b.data for n in layer.neurons])
        layers.append(lin)
        if i < len(scalar_mlp.layers) - 1:
            layers.append(act())
    return nn.Sequential(*layers)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(0, 10_000),
    st.sampled_from(["relu", "tanh", "sigmoid"]),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.integers(1, 6),
)
def test_scalar_and_tensor_mlps_agree(seed, activation, hidden, batch):
    random.seed(seed)
    rng = np.random.default_rng(seed)
    n_in, n_out = 3, 2
    smlp = MLP(n_in, [*hidden, n_out], activation=activation)
    tmlp = tensor_copy(smlp, activation)
    X = rng.normal(size=(batch, n_in))
    Y = rng.normal(size=(batch, n_out))

    # scalar: mean squared error over every output, built from Values
    total = Value(0.0)
    for row, target in zip(X, Y):
        out = smlp(list(row))
        out = out if isinstance(out, list) else [out]
        for o, t in zip(out, target):
            total = total + (o - float(t)) ** 2
    loss_s = total / (batch * n_out)
    loss_s.backward()

    loss_t = nn.functional.mse_loss(tmlp(tensor(X)), tensor(Y))
    loss_t.backward()

    assert loss_s.data == pytest.approx(loss_t.item(), rel=1e-12, abs=1e-15)
    linears = [m for m in tmlp if isinstance(m, nn.Linear)]
    for layer, lin in zip(smlp.layers, linears):
        gw = np.array([[w.grad for w in n.w] for n in layer.neurons])
        gb = np.array([n.b.grad for n in layer.neurons])
        np.testing.assert_allclose(gw, lin.weight.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(gb, lin.bias.grad.numpy(), rtol=1e-10, atol=1e-13)

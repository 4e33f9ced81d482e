"""Worked numbers from the course notes (``shared/course/004_*.txt``), each its own test."""

from __future__ import annotations

import random

import pytest

from chainrule import Value
from chainrule.scalar import MLP, bce_with_logits


def test_day1_pytorch_example():
    # L = (w x + b - 5)², x = 2, w = 3, b = 1: the notes print 8, 12, 4.
    x, w, b = Value(2.0), Value(3.0), Value(1.0)
    L = (w * x + b - 5.0) ** 2
    L.backward()
    assert (w.grad, x.grad, b.grad) == (8.0, 12.0, 4.0)
    torch = pytest.importorskip("torch")
    tx, tw, tb = (
        torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in (2.0, 3.0, 1.0)
    )
    ((tw * tx + tb - 5.0) ** 2).sum().backward()
    assert (tw.grad.item(), tx.grad.item(), tb.grad.item()) == (8.0, 12.0, 4.0)


def test_hand_computation_exercise():
    # x = 2, w1 = 3, w2 = -1, b = 0.5: z1 = 6, z2 = 6.5, z3 = 6.5, z4 = -6.5, L = 42.25.
    x, w1, w2, b = Value(2.0), Value(3.0), Value(-1.0), Value(0.5)
    z1 = w1 * x
    z2 = z1 + b
    z3 = z2.relu()
    z4 = w2 * z3
    L = z4**2
    assert [z1.data, z2.data, z3.data, z4.data, L.data] == [6.0, 6.5, 6.5, -6.5, 42.25]
    L.backward()
    # dL/dz4 = 2 z4 = -13; dL/dw2 = -13 z3 = -84.5; dL/dz3 = -13 w2 = 13 = dL/db; dL/dw1 = 13 x = 26
    assert (w1.grad, w2.grad, b.grad) == (26.0, -84.5, 13.0)


def test_micrograd_vs_pytorch_comparison():
    # z = x·w + b = 2(0.5) + 3(-1) + 0.1 = -1.9, relu(z) = 0, L = (0 - 1)² = 1:
    # the relu is off, so both frameworks report zero weight gradients ("should match exactly").
    x0, x1 = Value(2.0), Value(3.0)
    w0, w1 = Value(0.5), Value(-1.0)
    b = Value(0.1)
    L = ((x0 * w0 + x1 * w1 + b).relu() - Value(1.0)) ** 2
    L.backward()
    assert L.data == 1.0
    assert (w0.grad, w1.grad) == (0.0, 0.0)
    torch = pytest.importorskip("torch")
    x_pt = torch.tensor([2.0, 3.0], requires_grad=True)
    w_pt = torch.tensor([0.5, -1.0], requires_grad=True)
    b_pt = torch.tensor([0.1], requires_grad=True)
    ((torch.relu((x_pt * w_pt).sum() + b_pt) - 1.0) ** 2).sum().backward()
    assert w_pt.grad.tolist() == [w0.grad, w1.grad]


def test_micrograd_vs_pytorch_comparison_with_the_relu_on():
    # The errata's suggested fix: b = 2.1 gives z = 0.1 and non-zero gradients.
    x0, x1, w0, w1, b = Value(2.0), Value(3.0), Value(0.5), Value(-1.0), Value(2.1)
    (((x0 * w0 + x1 * w1 + b).relu() - 1.0) ** 2).backward()
    assert (w0.grad, w1.grad) == (pytest.approx(-3.6), pytest.approx(-5.4))


def test_three_layer_mlp_exercise_has_20_parameters():
    # 2 -> 3 -> 2 -> 1 with biases: 6 + 3 + 6 + 2 + 2 + 1 = 20.
    random.seed(0)
    assert len(MLP(2, [3, 2, 1]).parameters()) == 20


def test_notes_training_loop_runs_and_lowers_the_loss():
    # The notes' loop: MLP(3, [4, 4, 1]) on four points, squared error, SGD lr 0.01.
    random.seed(42)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, [4, 4, 1])
    losses = []
    for _ in range(100):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad
        losses.append(loss.data)
    assert losses[-1] < losses[0]


def test_day1_cross_entropy_exercise():
    # L = -[y log σ(z) + (1 - y) log(1 - σ(z))], the exercise's definition, equals the
    # stable form, and its gradient is σ(z) - y.
    for z, y in [(0.3, 1.0), (-2.0, 0.0), (4.0, 1.0)]:
        zv = Value(z)
        s = zv.sigmoid()
        naive = -(y * s.log() + (1 - y) * (1 - s).log())
        naive.backward()
        zs = Value(z)
        stable = bce_with_logits(zs, y)
        stable.backward()
        assert stable.data == pytest.approx(naive.data, rel=1e-12)
        assert zs.grad == pytest.approx(zv.grad, rel=1e-9)
        assert zs.grad == pytest.approx(s.data - y, rel=1e-12)


def test_notes_mlp_with_relu_on_the_output_cannot_fit_negative_targets():
    # Erratum (docs/errata.md): the notes' Neuron applies ReLU to every neuron, the
    # output one included, so the output is never negative and the two targets of -1
    # each cost at least (0 - (-1))² = 1. The loss of that loop cannot go below 2.
    from chainrule.scalar import Layer

    random.seed(0)
    layers = [Layer(3, 4), Layer(4, 4), Layer(4, 1)]  # nonlin=True everywhere, as in the notes
    params = [p for layer in layers for p in layer.parameters()]
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def forward(x):
        for layer in layers:
            x = layer(x)
            x = [x] if isinstance(x, Value) else x
        return x[0]

    for _ in range(200):
        loss = sum((forward(x) - y) ** 2 for x, y in zip(xs, ys))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= 0.01 * p.grad
        assert loss.data >= 2.0

"""micrograd's demo workload, runnable on any micrograd-compatible engine.

The demo trains a 2-16-16-1 MLP on 100 "two moons" points with a max-margin (hinge)
loss plus L2 regularisation, full-batch SGD, learning rate decaying from 1.0 to 0.1
over 100 steps. ``train_moons`` takes the engine's ``Value`` and ``MLP`` classes as
arguments, so the *same* code drives chainrule and micrograd: that is how the test
suite checks compatibility and how ``benchmarks/bench_scalar.py`` compares speed.

>>> from chainrule.scalar import Value, MLP
>>> history = train_moons(Value, MLP, steps=2)
>>> len(history.losses)
2
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1337) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, labels in {-1, +1} (the demo's convention).

    Shapes: X (n, 2) float64, y (n,) int64. Half the points lie on the upper arc
    (cos t, sin t), half on the lower arc (1 - cos t, 1/2 - sin t), t in [0, π],
    then Gaussian noise of standard deviation ``noise`` is added.
    """
    rng = np.random.default_rng(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_up = np.linspace(0.0, np.pi, n_upper)
    t_lo = np.linspace(0.0, np.pi, n_lower)
    X = np.concatenate([
        np.stack([np.cos(t_up), np.sin(t_up)], axis=1),
        np.stack([1.0 - np.cos(t_lo), 0.5 - np.sin(t_lo)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    X += rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n_samples)
    return X[order], y[order] * 2 - 1


@dataclass
class MoonsHistory:
    """Loss and accuracy after each step, plus the trained model."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    model: Any = None


def moons_step(Value: type, model: Any, X: np.ndarray, y: np.ndarray, k: int, steps: int) -> tuple[float, float]:
    """One full-batch training step of the demo; returns (loss, accuracy) before the update."""
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    # Max-margin loss: zero once a point is on the right side with margin 1.
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)

    model.zero_grad()
    total.backward()
    lr = 1.0 - 0.9 * k / steps
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data, float(accuracy)


def train_moons(Value: type, MLP: type, steps: int = 100, seed: int = 1337) -> MoonsHistory:
    """Run micrograd's demo with the given engine classes; same seed, same start."""
    random.seed(seed)  # the MLP draws its weights from Python's random module
    X, y = make_moons(100, noise=0.1, seed=seed)
    model = MLP(2, [16, 16, 1])
    history = MoonsHistory(model=model)
    for k in range(steps):
        loss, acc = moons_step(Value, model, X, y, k, steps)
        history.losses.append(loss)
        history.accuracies.append(acc)
    return history

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


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int = 1337
) -> tuple[np.ndarray, np.ndarray]:
    """``chainrule.data.make_moons`` in the demo's conventions: X float64 (n, 2), y in {-1, +1}.

    The hinge loss wants labels of ±1, and plain Python floats (float64) feed the Values.
    """
    from chainrule.data import make_moons as moons  # noqa: PLC0415 (keeps this module light)

    X, y = moons(n_samples, noise=noise, seed=seed)
    return X.astype(np.float64), y * 2 - 1


@dataclass
class MoonsHistory:
    """Loss and accuracy after each step, plus the trained model."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    model: Any = None


def moons_step(
    Value: type, model: Any, X: np.ndarray, y: np.ndarray, k: int, steps: int
) -> tuple[float, float]:
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

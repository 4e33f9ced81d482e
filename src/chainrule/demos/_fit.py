"""The small, seeded training loop the demos share (``chainrule train`` is the full one).

The demos fit tiny models on arrays held in memory, and one of them must be able to
*forget* ``zero_grad``; so this loop is the lecture's five lines with that switch, plus
optional evaluation sets recorded every epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from chainrule import optim
from chainrule._tensor import Tensor, as_tensor
from chainrule.autograd import no_grad
from chainrule.creation import manual_seed
from chainrule.demos.diagnostics import accuracy
from chainrule.nn import functional as F
from chainrule.nn.containers import Sequential
from chainrule.nn.mlp import build_mlp
from chainrule.nn.module import Module

LossFn = Callable[[Tensor, Tensor], Tensor]


def mlp(sizes: list[int], activation: str = "relu", seed: int = 0) -> Sequential:
    """Linear layers of the given sizes with ``activation`` between them (none after the last).

    ``activation="none"`` puts Identity in its place, so the same model is built without its
    non-linearity (the parameters are drawn identically for the same seed).
    """
    manual_seed(seed)
    return build_mlp(sizes[0], sizes[1:-1], sizes[-1], activation)


@dataclass
class History:
    """Per step: training-batch loss and gradient norm; per epoch: loss and accuracy per named set."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)  # ‖.grad‖ over all parameters, per step
    epoch_loss: dict[str, list[float]] = field(default_factory=dict)
    epoch_accuracy: dict[str, list[float]] = field(default_factory=dict)


def evaluate(
    model: Module, X: np.ndarray, y: np.ndarray, loss_fn: LossFn = F.cross_entropy
) -> tuple[float, float]:
    """(loss, accuracy) of ``model`` on arrays, without recording a graph."""
    with no_grad():
        out = model(as_tensor(X))
        return float(loss_fn(out, as_tensor(y)).item()), accuracy(out, y)


def fit(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float,
    loss_fn: LossFn = F.cross_entropy,
    optimizer: str = "adam",
    momentum: float = 0.0,
    batch_size: int | None = None,
    zero_grad: bool = True,
    seed: int = 0,
    eval_sets: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> History:
    """Train in place: forward, loss, zero_grad (unless told to forget), backward, step.

    ``batch_size=None`` uses the whole set each step (one step per epoch). Non-finite losses
    are recorded as they are and training goes on, so a diverging run shows as such.
    """
    params = list(model.parameters())
    opt = (
        optim.Adam(params, lr=lr)
        if optimizer == "adam"
        else optim.SGD(params, lr=lr, momentum=momentum)
    )
    rng = np.random.default_rng(seed)
    n = len(X)
    bs = n if batch_size is None else batch_size
    hist = History()
    sets = dict(eval_sets or {})
    for _ in range(epochs):
        order = np.arange(n) if bs >= n else rng.permutation(n)
        for start in range(0, n, bs):
            idx = order[start : start + bs]
            loss = loss_fn(model(as_tensor(X[idx])), as_tensor(y[idx]))
            if zero_grad:
                opt.zero_grad()
            loss.backward()
            hist.grad_norm.append(
                float(
                    np.sqrt(
                        sum(
                            float(np.sum(p.grad.numpy().astype(np.float64) ** 2))
                            for p in params
                            if p.grad is not None
                        )
                    )
                )
            )
            opt.step()
            hist.loss.append(float(loss.item()))
        for name, (Xs, ys) in sets.items():
            loss_value, acc = evaluate(model, Xs, ys, loss_fn)
            hist.epoch_loss.setdefault(name, []).append(loss_value)
            hist.epoch_accuracy.setdefault(name, []).append(acc)
    return hist


def predictor(model: Module) -> Callable[[np.ndarray], np.ndarray]:
    """A function from (n, 2) points to predicted class labels, for decision-region plots."""

    def predict(points: np.ndarray) -> np.ndarray:
        with no_grad():
            z = model(as_tensor(points.astype(np.float32))).numpy()
        return (z[:, 0] > 0).astype(int) if z.shape[1] == 1 else z.argmax(axis=1)

    return predict


def class1_probability(model: Module) -> Callable[[np.ndarray], np.ndarray]:
    """A function from (n, 2) points to P(class 1) = softmax(logits)[:, 1] of a two-class model."""

    def proba(points: np.ndarray) -> np.ndarray:
        with no_grad():
            z = model(as_tensor(points.astype(np.float32))).numpy().astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e[:, 1] / e.sum(axis=1)

    return proba

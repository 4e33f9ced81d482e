"""Measurements a lecture makes claims about: accuracy, per-layer gradient norms, activation
statistics, the collapse of a linear stack, the floor a double softmax puts under the loss.

These are the numbers behind ``chainrule.demos``; notebooks use them directly.

>>> from chainrule import nn, Tensor
>>> import numpy as np
>>> stack = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 4), nn.Linear(4, 2))
>>> one = collapse_linear(stack)
>>> x = Tensor(np.ones((5, 2), dtype=np.float32))
>>> bool(np.allclose(stack(x).numpy(), one(x).numpy(), atol=1e-5))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd import no_grad
from chainrule.nn.containers import Sequential
from chainrule.nn.layers import Identity, Linear
from chainrule.nn.module import Module

__all__ = [
    "accuracy",
    "count_correct",
    "predicted_classes",
    "linear_layers",
    "weight_grad_norms",
    "LayerStats",
    "activation_stats",
    "collapse_linear",
    "double_softmax_floor",
]


def predicted_classes(logits: Tensor | np.ndarray) -> np.ndarray:
    """The class each row of ``logits`` predicts: its largest logit's index, (N,) int64.

    One output column is read as a binary logit (class 1 where it is > 0).
    """
    z = logits.numpy() if isinstance(logits, Tensor) else np.asarray(logits)
    if z.ndim == 2 and z.shape[1] == 1:
        z = z[:, 0]
    return (z > 0).astype(np.int64) if z.ndim == 1 else z.argmax(axis=1)


def count_correct(logits: Tensor | np.ndarray, target: Tensor | np.ndarray) -> int:
    """How many rows predict their target class (see :func:`predicted_classes`)."""
    pred = predicted_classes(logits)
    y = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    return int(np.count_nonzero(pred == y.reshape(pred.shape)))


def accuracy(logits: Tensor | np.ndarray, target: Tensor | np.ndarray) -> float:
    """Fraction of rows whose largest logit is at the target class.

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    n = len(predicted_classes(logits))
    return count_correct(logits, target) / n if n else 0.0


def linear_layers(model: Module) -> list[Linear]:
    """Every ``nn.Linear`` in ``model``, in registration order (input side first)."""
    return [m for m in model.modules() if isinstance(m, Linear)]


def weight_grad_norms(model: Module) -> list[float]:
    """‖dL/dW‖ (Frobenius) of each Linear layer's weight, input side first; 0.0 where no grad.

    Computed in float64: a float32 sum of squares overflows long before the gradient does.
    """
    return [
        float(np.linalg.norm(layer.weight.grad.numpy().astype(np.float64)))
        if layer.weight.grad is not None
        else 0.0
        for layer in linear_layers(model)
    ]


@dataclass(frozen=True)
class LayerStats:
    """One layer's output in a forward pass: its mean, std and the fraction of exact zeros."""

    name: str
    mean: float
    std: float
    zero_fraction: float  # dead ReLU outputs show up here


def activation_stats(model: Sequential, x: Tensor) -> list[LayerStats]:
    """Run ``x`` through a Sequential and describe what each block hands the next Linear.

    A block is a Linear and the activation after it, if any; the last block's output is the
    model's output.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"activation_stats needs an nn.Sequential, got {type(model).__name__}")
    modules = list(model)
    stats = []
    h = x
    with no_grad():
        for i, m in enumerate(modules):
            h = m(h)
            # A block (Linear, then its activation if any) ends where the next Linear starts.
            if i + 1 == len(modules) or isinstance(modules[i + 1], Linear):
                a = h.numpy().astype(np.float64)
                stats.append(
                    LayerStats(
                        f"{i}:{type(m).__name__}",
                        float(a.mean()),
                        float(a.std()),
                        float(np.mean(a == 0)),
                    )
                )
    return stats


def collapse_linear(model: Sequential) -> Linear:
    """Fold a stack of Linear layers (Identity allowed between them) into one equivalent Linear.

    In torch's layout y = x Wᵀ + b, two layers give
    y = (x W₁ᵀ + b₁) W₂ᵀ + b₂ = x (W₂ W₁)ᵀ + (W₂ b₁ + b₂): W_eff = W₂ W₁, b_eff = W₂ b₁ + b₂,
    the lecture's collapse. The product is formed in float64 and stored in the first layer's dtype.
    """
    layers = [m for m in model if not isinstance(m, Identity)]
    if not layers or not all(isinstance(m, Linear) for m in layers):
        kinds = ", ".join(type(m).__name__ for m in model)
        raise ValueError(
            f"collapse_linear: only Linear (and Identity) layers collapse, got [{kinds}]"
        )
    W = np.eye(layers[0].in_features)
    b = np.zeros(layers[0].in_features)
    for layer in layers:
        Wl = layer.weight.numpy().astype(np.float64)
        bl = layer.bias.numpy().astype(np.float64) if layer.bias is not None else 0.0
        W, b = Wl @ W, Wl @ b + bl
    dtype = layers[0].weight.dtype
    out = Linear(W.shape[1], W.shape[0], dtype=dtype)
    out.weight.data = W.astype(dtype)
    out.bias.data = b.astype(dtype)
    return out


def double_softmax_floor(num_classes: int) -> float:
    """The smallest cross-entropy reachable when the logits are already probabilities.

    ``F.cross_entropy(softmax(z), y)`` is −log softmax(p)_y with p = softmax(z) on the simplex.
    That loss falls as p_y rises (put the rest evenly: f(t) = −t + log(eᵗ + (K−1)e^((1−t)/(K−1))),
    f′(t) < 0), so the best is p = one-hot: −log(e / (e + K − 1)) = log(1 + (K − 1)/e).

    >>> round(double_softmax_floor(10), 4)
    1.4612
    """
    if num_classes < 2:
        raise ValueError(f"double_softmax_floor: need at least 2 classes, got {num_classes}")
    return math.log1p((num_classes - 1) / math.e)

"""Measuring a classifier: loss and accuracy on a data set, the confusion matrix, size and FLOPs.

>>> from chainrule import nn
>>> model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
>>> count_parameters(model), forward_flops(model)
(269322, 537600)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainrule._tensor import as_tensor
from chainrule.autograd import no_grad
from chainrule.demos.diagnostics import predicted_classes
from chainrule.nn import Linear, Module
from chainrule.nn import functional as F

__all__ = [
    "Evaluation",
    "evaluate",
    "confusion_matrix",
    "format_confusion",
    "count_parameters",
    "forward_flops",
]


def count_parameters(model: Module) -> int:
    """Return the number of learnable numbers: ``Σ p.size`` over ``model.parameters()``."""
    return sum(p.numel() for p in model.parameters())


def forward_flops(model: Module) -> int:
    """Return the floating-point operations of one example's forward pass through the Linear layers.

    Counts ``2 · in · out`` per Linear (each weight is one multiply and one add); biases,
    activations and the softmax are left out (they are O(out), not O(in · out)). For
    784-256-256-10: 2 · (784·256 + 256·256 + 256·10) = 537,600.

    >>> forward_flops(Linear(3, 2))
    12
    """
    return sum(2 * m.in_features * m.out_features for m in model.modules() if isinstance(m, Linear))


@dataclass(frozen=True)
class Evaluation:
    """Mean cross-entropy ``loss``, ``accuracy`` in [0, 1], and the predicted class per example (N,)."""

    loss: float
    accuracy: float
    predictions: np.ndarray


def evaluate(model: Module, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> Evaluation:
    """Run ``model`` on ``x`` (N, D) in eval mode without a graph; compare with labels ``y`` (N,).

    Puts the model in ``eval()`` and restores its previous mode afterwards; batches bound the
    memory (a (batch, 256) activation at a time, not (N, 256)).

    >>> from chainrule import nn
    >>> ev = evaluate(nn.Linear(2, 3), np.zeros((4, 2), np.float32), np.array([0, 1, 2, 0]))
    >>> ev.predictions.shape
    (4,)
    """
    was_training = model.training
    model.eval()
    total_loss, predictions = 0.0, np.empty(len(y), dtype=np.int64)
    try:
        with no_grad():
            for start in range(0, len(y), batch_size):
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
                logits = model(as_tensor(xb))  # (B, K)
                # cross_entropy is a mean over the batch; times B makes the sum, so uneven
                # last batches weigh what they should.
                total_loss += F.cross_entropy(logits, as_tensor(yb)).item() * len(yb)
                predictions[start : start + len(yb)] = predicted_classes(logits)
    finally:
        model.train(was_training)
    n = max(len(y), 1)
    return Evaluation(total_loss / n, float((predictions == y).sum()) / n, predictions)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Count examples by (true class, predicted class): ``M[i, j]`` = #true i predicted j.

    >>> confusion_matrix(np.array([0, 0, 1]), np.array([0, 1, 1]), 2).tolist()
    [[1, 1], [0, 1]]
    """
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m


def format_confusion(matrix: np.ndarray, classes: tuple[str, ...] | list[str]) -> str:
    """Render the matrix as a text table: rows are true classes, columns predicted ones (by index).

    >>> print(format_confusion(np.array([[5, 1], [0, 4]]), ["cat", "dog"]))
    true \\ pred    0  1
    0 cat          5  1
    1 dog          0  4
    """
    k = len(classes)
    labels = [
        name if name == str(i) else f"{i} {name}" for i, name in enumerate(classes)
    ]  # no "3 3"
    first = max(len("true \\ pred"), *(len(s) for s in labels)) + 2
    width = max(len(str(matrix.max())), len(str(k - 1))) + 2
    lines = ["true \\ pred".ljust(first) + "".join(str(j).rjust(width) for j in range(k))]
    for label, row in zip(labels, matrix):
        lines.append(label.ljust(first) + "".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)

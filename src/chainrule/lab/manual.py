"""Layers with hand-written backward passes, in plain NumPy: the lab's reference.

No autograd here. Each layer's ``forward`` computes its output and keeps what the
backward pass will need; ``backward`` takes the upstream gradient g = dL/d(output)
and returns dL/d(input), storing parameter gradients in ``grads``. Students write
their own versions and compare them with these (and with autograd, finite
differences and PyTorch: see ``chainrule.compare_gradients``).

Conventions follow PyTorch and the slides: a batch X has shape (B, d_in) and ``Linear``
computes Z = X Wᵀ + b with W of shape (d_out, d_in), the layout of ``nn.Linear.weight``
(and of the slides' ∂L/∂W = δ xᵀ). So a gradient written for PyTorch, ``dW = delta.T @ X``,
is right here too. Gradients are overwritten by each ``backward``, not accumulated.

>>> import numpy as np
>>> layer = Linear(np.array([[0.1, 0.2], [0.3, 0.4]]), np.zeros(2))  # the slide's W, (out, in)
>>> _ = layer.forward(np.array([[2.0, 3.0]]))
>>> dx = layer.backward(np.array([[0.5, -0.1]]))
>>> layer.grads["W"].round(4).tolist(), dx.round(4).tolist()
([[1.0, 1.5], [-0.2, -0.3]], [[0.02, 0.06]])
"""

from __future__ import annotations

import numpy as np


class Layer:
    """A layer with an explicit ``forward`` and ``backward``."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def _need_forward(self, saved: object) -> None:
        if saved is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")


class Linear(Layer):
    """Z = X Wᵀ + b, W of shape (d_out, d_in).  Backward: dW = gᵀ X, db = Σᵢ gᵢ, dX = g W.

    Each of the B examples adds its own outer product gᵢ xᵢᵀ to dW, which is why the
    batch gradient is one matrix product; b is added to every row, so its gradient
    sums the rows of g.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        super().__init__()
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(
                f"Linear: W must be (d_out, d_in) as in PyTorch and b (d_out,), "
                f"got W {W.shape}, b {b.shape}"
            )
        self.params = {"W": W, "b": b}
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        W = self.params["W"]
        if x.ndim != 2 or x.shape[1] != W.shape[1]:
            raise ValueError(
                f"Linear: input of shape {x.shape} does not match W of shape {W.shape} "
                f"(W is (d_out, d_in), so expected (B, {W.shape[1]}))"
            )
        self.x = x  # (B, d_in), needed for dW
        return x @ W.T + self.params["b"]  # (B, d_out)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self._need_forward(self.x)
        self.grads["W"] = grad_out.T @ self.x  # (d_out, B) @ (B, d_in) = (d_out, d_in)
        self.grads["b"] = grad_out.sum(axis=0)  # (d_out,)
        return grad_out @ self.params["W"]  # (B, d_out) @ (d_out, d_in) = (B, d_in)


class ReLU(Layer):
    """y = max(0, x).  Backward: dx = g ⊙ 1[x > 0] (the gradient passes where the unit was on)."""

    def __init__(self) -> None:
        super().__init__()
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.where(self.mask, x, 0).astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self._need_forward(self.mask)
        return grad_out * self.mask


class Sigmoid(Layer):
    """y = σ(x).  Backward: dx = g ⊙ y(1 − y), using the saved output (at most 1/4)."""

    def __init__(self) -> None:
        super().__init__()
        self.y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        # exp(-|x|) never overflows; the two branches are the same function.
        e = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self._need_forward(self.y)
        return grad_out * self.y * (1 - self.y)


class MSE:
    """L = mean((ŷ − y)²) over every element.  Backward: dŷ = 2(ŷ − y) / N, N = ŷ.size."""

    def __init__(self) -> None:
        self.diff: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        if pred.shape != target.shape:
            raise ValueError(
                f"MSE: prediction {pred.shape} and target {target.shape} differ in shape"
            )
        self.diff = pred - target
        return float(np.mean(self.diff**2))

    def backward(self) -> np.ndarray:
        if self.diff is None:
            raise RuntimeError("MSE.backward called before forward")
        return 2 * self.diff / self.diff.size


class SoftmaxCrossEntropy:
    """L = mean over the batch of −log softmax(z)[y].  Backward: dz = (ŷ − onehot(y)) / B.

    Softmax and cross-entropy are done together because their combined derivative
    is just prediction minus target (the slides' push-pull rule), which is both
    simpler and more stable than chaining the two Jacobians.
    """

    def __init__(self) -> None:
        self.probs: np.ndarray | None = None
        self.labels: np.ndarray | None = None

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        labels = np.asarray(labels)
        if logits.ndim != 2 or labels.shape != (logits.shape[0],):
            raise ValueError(
                f"SoftmaxCrossEntropy: logits must be (B, C) and labels (B,), "
                f"got {logits.shape} and {labels.shape}"
            )
        if labels.min(initial=0) < 0 or labels.max(initial=0) >= logits.shape[1]:
            raise ValueError(f"SoftmaxCrossEntropy: labels must lie in [0, {logits.shape[1] - 1}]")
        shifted = logits - logits.max(axis=1, keepdims=True)  # log-sum-exp trick: no overflow
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs = np.exp(log_probs)
        self.labels = labels
        return float(-log_probs[np.arange(len(labels)), labels].mean())

    def backward(self) -> np.ndarray:
        if self.probs is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        grad = self.probs.copy()
        grad[np.arange(len(self.labels)), self.labels] -= 1  # ŷ − y
        return grad / len(self.labels)


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse, passing dL/d(input) along."""

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def named_params(self) -> dict[str, np.ndarray]:
        """Every parameter, named ``<layer index>.<name>`` (``0.W``, ``0.b``, ``2.W`` ...)."""
        return {
            f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()
        }

    def named_grads(self) -> dict[str, np.ndarray]:
        """The gradients from the last ``backward``, named like ``named_params``."""
        return {
            f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()
        }

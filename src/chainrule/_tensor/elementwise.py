"""Elementwise math: ``exp``, ``log``, ``sqrt``, ``abs``, ``clamp`` and the activations.

Each is one rule in ``autograd/rules.py``, except ``softmax``, which is built from
``log_softmax`` so that it inherits its numerical stability.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainrule._tensor.dispatch import Scalar, apply, operand

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor


class ElementwiseMethods:
    __slots__ = ()

    def exp(self) -> "Tensor":
        return apply("exp", self)

    def log(self) -> "Tensor":
        return apply("log", self)

    def sqrt(self) -> "Tensor":
        return apply("sqrt", self)

    def abs(self) -> "Tensor":
        return apply("abs", self)

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        """Limit values to [min, max]; the gradient passes only where the input was inside.

        >>> Tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000])
        """
        lo = None if min is None else operand(min)
        hi = None if max is None else operand(max)
        return apply("clamp", self, min=lo, max=hi)

    clip = clamp

    def relu(self) -> "Tensor":
        return apply("relu", self)

    def sigmoid(self) -> "Tensor":
        return apply("sigmoid", self)

    def tanh(self) -> "Tensor":
        return apply("tanh", self)

    def gelu(self, approximate: str = "none") -> "Tensor":
        return apply("gelu", self, approximate=approximate)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        return apply("leaky_relu", self, negative_slope=float(negative_slope))

    def log_softmax(self, dim: int) -> "Tensor":
        """log softmax along ``dim``, computed stably as x − max − log Σ exp(x − max)."""
        return apply("log_softmax", self, dim=dim)

    def softmax(self, dim: int) -> "Tensor":
        """softmax along ``dim``: exp(log_softmax(x)), so it inherits the log-sum-exp stability.

        >>> Tensor([0.0, 0.0]).softmax(dim=0)
        tensor([0.5000, 0.5000])
        """
        return self.log_softmax(dim).exp()

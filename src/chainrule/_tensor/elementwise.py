"""Elementwise math: ``exp``, ``log``, ``sin``, ``sqrt``, ``abs``, ``clamp``, rounding, the
activations, ``softmax``, and the tests that give a bool per element (``isnan``, ...).

Each differentiable method is one rule in ``autograd/rules.py`` or a short composition of them,
with the math in a comment. Rounding (``floor``, ``round``, ``sign``, ...) is flat almost
everywhere, so its gradient is 0, as in PyTorch. The bool tests are not differentiable.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule._tensor.dispatch import Scalar, apply, array_of, coerce, operand, wrap

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor


class ElementwiseMethods:
    __slots__ = ()

    # ---- exponentials, logarithms, roots --------------------------------------------------------
    def exp(self) -> "Tensor":
        return apply("exp", self)

    def exp2(self) -> "Tensor":
        """2ˣ = e^(x·ln 2)."""
        return (self * math.log(2.0)).exp()

    def expm1(self) -> "Tensor":
        """eˣ − 1, accurate for small x."""
        return apply("expm1", self)

    def log(self) -> "Tensor":
        return apply("log", self)

    def log1p(self) -> "Tensor":
        """log(1 + x), accurate for small x."""
        return apply("log1p", self)

    def log2(self) -> "Tensor":
        """log₂ x = ln x / ln 2."""
        return self.log() / math.log(2.0)

    def log10(self) -> "Tensor":
        """log₁₀ x = ln x / ln 10."""
        return self.log() / math.log(10.0)

    def sqrt(self) -> "Tensor":
        return apply("sqrt", self)

    def rsqrt(self) -> "Tensor":
        """1 / √x."""
        return self.sqrt().reciprocal()

    def square(self) -> "Tensor":
        """x², recorded as ``pow`` (``PowBackward0``, as in PyTorch)."""
        return apply("pow", self, 2)

    def reciprocal(self) -> "Tensor":
        """1 / x (an integer tensor gives float32, as in PyTorch)."""
        return apply("div", 1.0, self)

    def abs(self) -> "Tensor":
        return apply("abs", self)

    absolute = abs

    def neg(self) -> "Tensor":
        return apply("neg", self)

    negative = neg

    # ---- trigonometry and erf -------------------------------------------------------------------
    def sin(self) -> "Tensor":
        return apply("sin", self)

    def cos(self) -> "Tensor":
        return apply("cos", self)

    def tan(self) -> "Tensor":
        return apply("tan", self)

    def erf(self) -> "Tensor":
        return apply("erf", self)

    # ---- rounding: flat almost everywhere, gradient 0 -------------------------------------------
    def floor(self) -> "Tensor":
        return apply("floor", self)

    def ceil(self) -> "Tensor":
        return apply("ceil", self)

    def trunc(self) -> "Tensor":
        return apply("trunc", self)

    fix = trunc

    def round(self, decimals: int = 0) -> "Tensor":
        """Round half to even (as PyTorch and NumPy do): ``round(2.5) == 2``."""
        return apply("round", self, decimals=int(decimals))

    def sign(self) -> "Tensor":
        return apply("sign", self)

    def frac(self) -> "Tensor":
        """x − trunc(x); its gradient is 1."""
        return self - self.trunc()

    # ---- clamping -------------------------------------------------------------------------------
    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        """Limit values to [min, max]; the gradient passes only where the input was inside.

        >>> Tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000])
        """
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        lo = None if min is None else operand(min)
        hi = None if max is None else operand(max)
        return apply("clamp", self, min=lo, max=hi)

    clip = clamp

    def clamp_min(self, min: Scalar) -> "Tensor":
        """``clamp(min=min)``: the fast.ai notes' ``x.clamp_min(0.)`` is a ReLU."""
        return self.clamp(min=min)

    def clamp_max(self, max: Scalar) -> "Tensor":
        return self.clamp(max=max)

    # ---- activations ----------------------------------------------------------------------------
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

    def log_softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        """log softmax along ``dim``, computed stably as x − max − log Σ exp(x − max)."""
        x = self if dtype is None else self.to(dtype)
        return apply("log_softmax", x, dim=dim)

    def softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        """softmax along ``dim``: exp(x − max) / Σ exp(x − max) (the max keeps exp finite).

        >>> Tensor([0.0, 0.0]).softmax(dim=0)
        tensor([0.5000, 0.5000])
        """
        x = self if dtype is None else self.to(dtype)
        return apply("softmax", x, dim=dim)

    # ---- lerp, the one three-operand elementwise op ---------------------------------------------
    def lerp(self, end: Any, weight: Any) -> "Tensor":
        """self + weight·(end − self)."""
        return self + coerce(weight) * (coerce(end) - self)

    # ---- bool per element (not differentiable) --------------------------------------------------
    def isnan(self) -> "Tensor":
        return wrap(np.isnan(self._data))

    def isinf(self) -> "Tensor":
        return wrap(np.isinf(self._data))

    def isfinite(self) -> "Tensor":
        return wrap(np.isfinite(self._data))

    def isposinf(self) -> "Tensor":
        return wrap(np.isposinf(self._data))

    def isneginf(self) -> "Tensor":
        return wrap(np.isneginf(self._data))

    def signbit(self) -> "Tensor":
        return wrap(np.signbit(self._data))

    def logical_not(self) -> "Tensor":
        return wrap(np.logical_not(self._data))

    def logical_and(self, other: Any) -> "Tensor":
        return wrap(np.logical_and(self._data, array_of(coerce(other))))

    def logical_or(self, other: Any) -> "Tensor":
        return wrap(np.logical_or(self._data, array_of(coerce(other))))

    def logical_xor(self, other: Any) -> "Tensor":
        return wrap(np.logical_xor(self._data, array_of(coerce(other))))

    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> "Tensor":
        """Replace nan/±inf by numbers (±inf by the dtype's largest finite values by default)."""
        return wrap(np.nan_to_num(self._data, nan=nan, posinf=posinf, neginf=neginf))

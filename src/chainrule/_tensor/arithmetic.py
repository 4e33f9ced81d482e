"""Arithmetic and comparisons: ``+ - * / ** @`` and ``< <= > >= == !=``.

Each named method (``add``, ``mul``, ...) holds the logic; the operators are one line each, built
by :func:`~chainrule._tensor.dispatch.binary_dunder` from the rule's name. Broadcasting follows
NumPy (and PyTorch); the reflected forms (``2 - x``) keep the number on the left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule._tensor.dispatch import (
    Operand,
    apply,
    array_of,
    binary_dunder,
    coerce,
    operand,
    wrap,
)
from chainrule.autograd.shapes import broadcast_error

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor


class ArithmeticMethods:
    __slots__ = ()

    def add(self, other: Operand) -> "Tensor":
        """``self + other``, broadcasting; d/da = d/db = 1."""
        return apply("add", self, coerce(other))

    def sub(self, other: Operand) -> "Tensor":
        """``self - other``, broadcasting."""
        return apply("sub", self, coerce(other))

    def mul(self, other: Operand) -> "Tensor":
        """``self * other``, broadcasting; d(ab)/da = b."""
        return apply("mul", self, coerce(other))

    def div(self, other: Operand) -> "Tensor":
        """``self / other``, broadcasting; an int tensor divided gives float32, as in PyTorch."""
        return apply("div", self, coerce(other))

    def neg(self) -> "Tensor":
        return apply("neg", self)

    def pow(self, exponent: Operand) -> "Tensor":
        """``self ** exponent``, broadcasting."""
        return apply("pow", self, coerce(exponent))

    def matmul(self, other: Operand) -> "Tensor":
        """Matrix product with NumPy/torch rules for 1-D operands and batch broadcasting."""
        return apply("matmul", self, coerce(other))

    # The operators are one line each: the rule's name, and whether the Tensor is on the right.
    __add__ = binary_dunder("add")
    __radd__ = binary_dunder("add", reflected=True)
    __sub__ = binary_dunder("sub")
    __rsub__ = binary_dunder("sub", reflected=True)
    __mul__ = binary_dunder("mul")
    __rmul__ = binary_dunder("mul", reflected=True)
    __truediv__ = binary_dunder("div")
    __rtruediv__ = binary_dunder("div", reflected=True)
    __pow__ = binary_dunder("pow")
    __rpow__ = binary_dunder("pow", reflected=True)
    __matmul__ = binary_dunder("matmul")
    __rmatmul__ = binary_dunder("matmul", reflected=True)

    def __neg__(self) -> "Tensor":
        return self.neg()

    def __abs__(self) -> "Tensor":
        return apply("abs", self)

    def __pos__(self) -> "Tensor":
        return self

    # ---- comparisons (not differentiable: bool results) -----------------------------------------
    def _compare(self, ufunc: np.ufunc, name: str, other: Any) -> "Tensor":
        o = operand(other)
        if o is NotImplemented:
            return NotImplemented
        a, b = self._data, array_of(o)
        try:
            return wrap(ufunc(a, b))
        except ValueError:
            raise broadcast_error(name, a, b) from None

    def __lt__(self, other: Operand) -> "Tensor":
        return self._compare(np.less, "lt", other)

    def __le__(self, other: Operand) -> "Tensor":
        return self._compare(np.less_equal, "le", other)

    def __gt__(self, other: Operand) -> "Tensor":
        return self._compare(np.greater, "gt", other)

    def __ge__(self, other: Operand) -> "Tensor":
        return self._compare(np.greater_equal, "ge", other)

    # ``==`` is elementwise, so Python would drop hashing for this class; tensors hash by
    # identity, as in torch (optimizers key their state by parameter).
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(np.equal, "eq", other)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(np.not_equal, "ne", other)

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
    Scalar,
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

    def add(self, other: Operand, *, alpha: Scalar = 1) -> "Tensor":
        """``self + alpha * other``, broadcasting; d/da = d/db = 1."""
        return apply("add", self, _scaled(coerce(other), alpha))

    def sub(self, other: Operand, *, alpha: Scalar = 1) -> "Tensor":
        """``self - alpha * other``, broadcasting."""
        return apply("sub", self, _scaled(coerce(other), alpha))

    def mul(self, other: Operand) -> "Tensor":
        """``self * other``, broadcasting; d(ab)/da = b."""
        return apply("mul", self, coerce(other))

    def div(self, other: Operand, *, rounding_mode: str | None = None) -> "Tensor":
        """``self / other``, broadcasting; an int tensor divided gives float32, as in PyTorch.

        ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient (gradient 0, as torch)."""
        q = apply("div", self, coerce(other))
        if rounding_mode is None:
            return q
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        out = q.floor() if rounding_mode == "floor" else q.trunc()
        return out if self.is_floating_point() else out.to(self.dtype)

    subtract = sub
    multiply = mul
    divide = div
    true_divide = div

    def floor_divide(self, other: Operand) -> "Tensor":
        """``self // other``: the quotient rounded down (PyTorch 2 floors, as Python does)."""
        return self.div(other, rounding_mode="floor")

    def remainder(self, other: Operand) -> "Tensor":
        """``self % other`` with the sign of the divisor (Python's rule): a − floor(a / b)·b."""
        o = coerce(other)
        return self - self.div(o, rounding_mode="floor") * o

    def fmod(self, other: Operand) -> "Tensor":
        """Remainder with the sign of the dividend (C's rule): a − trunc(a / b)·b."""
        o = coerce(other)
        return self - self.div(o, rounding_mode="trunc") * o

    def pow(self, exponent: Operand) -> "Tensor":
        """``self ** exponent``, broadcasting."""
        return apply("pow", self, coerce(exponent))

    def float_power(self, exponent: Operand) -> "Tensor":
        """``pow`` computed in float64, as PyTorch's float_power."""
        return self.double().pow(coerce(exponent))

    # ---- matrix products ------------------------------------------------------------------------
    def matmul(self, other: Operand) -> "Tensor":
        """Matrix product with NumPy/torch rules for 1-D operands and batch broadcasting."""
        return apply("matmul", self, _same_dtype("matmul", self, coerce(other)))

    def mm(self, mat2: "Tensor") -> "Tensor":
        """(n, m) @ (m, p): both operands must be matrices (``matmul`` broadcasts, ``mm`` not)."""
        _check_dims("mm", (self, 2, "self"), (mat2, 2, "mat2"))
        return self.matmul(mat2)

    def bmm(self, mat2: "Tensor") -> "Tensor":
        """(b, n, m) @ (b, m, p): a batch of matrix products with the same batch size."""
        _check_dims("bmm", (self, 3, "batch1"), (mat2, 3, "batch2"))
        if self.shape[0] != mat2.shape[0]:
            raise RuntimeError(
                f"bmm: batch1 and batch2 must have the same batch size, got {self.shape[0]} "
                f"and {mat2.shape[0]}"
            )
        return self.matmul(mat2)

    def mv(self, vec: "Tensor") -> "Tensor":
        """(n, m) @ (m,)."""
        _check_dims("mv", (self, 2, "self"), (vec, 1, "vec"))
        return self.matmul(vec)

    def dot(self, other: "Tensor") -> "Tensor":
        """Σ aᵢbᵢ of two 1-D tensors of the same length."""
        _check_dims("dot", (self, 1, "self"), (other, 1, "tensor"))
        return self.matmul(other)

    inner = dot

    def outer(self, vec2: "Tensor") -> "Tensor":
        """aᵢbⱼ of two 1-D tensors: a column times a row."""
        _check_dims("outer", (self, 1, "self"), (vec2, 1, "vec2"))
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    ger = outer

    def addmm(self, mat1: "Tensor", mat2: "Tensor", *, beta: Scalar = 1, alpha: Scalar = 1):
        """beta·self + alpha·(mat1 @ mat2): a Linear layer in one call."""
        return _scaled(self, beta) + _scaled(mat1.mm(mat2), alpha)

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

    def __matmul__(self, other: Any) -> "Tensor":
        return NotImplemented if operand(other) is NotImplemented else self.matmul(other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        o = operand(other)
        return NotImplemented if o is NotImplemented else apply("matmul", o, self)

    def __floordiv__(self, other: Any) -> "Tensor":
        return NotImplemented if operand(other) is NotImplemented else self.floor_divide(other)

    def __rfloordiv__(self, other: Any) -> "Tensor":
        o = operand(other)
        return NotImplemented if o is NotImplemented else self.new_tensor(o).floor_divide(self)

    def __mod__(self, other: Any) -> "Tensor":
        return NotImplemented if operand(other) is NotImplemented else self.remainder(other)

    def __rmod__(self, other: Any) -> "Tensor":
        o = operand(other)
        return NotImplemented if o is NotImplemented else self.new_tensor(o).remainder(self)

    # ``& | ^ ~`` are bitwise on ints and logical on bools, as in PyTorch (not differentiable).
    def __and__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_and, "and", other)

    def __or__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_or, "or", other)

    def __xor__(self, other: Any) -> "Tensor":
        return self._bitwise(np.bitwise_xor, "xor", other)

    __rand__ = __and__
    __ror__ = __or__
    __rxor__ = __xor__

    def __invert__(self) -> "Tensor":
        return self.bitwise_not()

    def bitwise_not(self) -> "Tensor":
        if self._data.dtype.kind not in "biu":
            raise TypeError(f"bitwise_not: not implemented for '{self.dtype}' (ints and bools)")
        return wrap(np.invert(self._data))

    def _bitwise(self, ufunc: np.ufunc, name: str, other: Any) -> "Tensor":
        o = operand(other)
        if o is NotImplemented:
            return NotImplemented
        b = np.asarray(array_of(o))
        if self._data.dtype.kind not in "biu" or b.dtype.kind not in "biu":
            raise TypeError(
                f"bitwise_{name}: only integer and bool tensors (got {self.dtype}); "
                f"for conditions on floats compare first, e.g. (x > 0) & (x < 1)"
            )
        return wrap(ufunc(self._data, b))

    def __neg__(self) -> "Tensor":
        return apply("neg", self)

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

    # The named forms take lists too (``x.eq([1, 2])``), like the other methods.
    def eq(self, other: Operand) -> "Tensor":
        return self._compare(np.equal, "eq", coerce(other))

    def ne(self, other: Operand) -> "Tensor":
        return self._compare(np.not_equal, "ne", coerce(other))

    def lt(self, other: Operand) -> "Tensor":
        return self._compare(np.less, "lt", coerce(other))

    def le(self, other: Operand) -> "Tensor":
        return self._compare(np.less_equal, "le", coerce(other))

    def gt(self, other: Operand) -> "Tensor":
        return self._compare(np.greater, "gt", coerce(other))

    def ge(self, other: Operand) -> "Tensor":
        return self._compare(np.greater_equal, "ge", coerce(other))

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def equal(self, other: "Tensor") -> bool:
        """True if both have the same shape and the same elements (one Python bool)."""
        b = array_of(coerce(other))
        return self._data.shape == np.shape(b) and bool(np.array_equal(self._data, b))

    def isclose(
        self, other: Operand, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> "Tensor":
        """|a − b| ≤ atol + rtol·|b| per element (PyTorch's defaults)."""
        b = array_of(coerce(other))
        try:
            return wrap(np.isclose(self._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
        except ValueError:
            raise broadcast_error("isclose", self._data, b) from None

    def allclose(
        self, other: Operand, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        """``isclose`` everywhere, as one Python bool."""
        return bool(self.isclose(other, rtol, atol, equal_nan)._data.all())


def _scaled(x: Any, alpha: Any) -> Any:
    """``alpha * x``, skipped for the common alpha = 1 so the graph stays as written."""
    return x if alpha == 1 else x * alpha


def _check_dims(op: str, *specs: tuple) -> None:
    for t, ndim, name in specs:
        if getattr(t, "ndim", None) != ndim:
            got = f"{t.ndim}-D" if hasattr(t, "ndim") else type(t).__name__
            raise RuntimeError(f"{op}: {name} must be a {ndim}-D tensor, got {got}")


def _same_dtype(op: str, a: Any, b: Any) -> Any:
    """Matrix products do not promote in PyTorch: float32 @ float64 is an error, by name."""
    if hasattr(b, "_data") and b._data.dtype != a._data.dtype:
        raise RuntimeError(
            f"{op}: expected both operands to have the same dtype, but got {a.dtype} and "
            f"{b.dtype} (cast one, e.g. x.float() or x.double())"
        )
    return b

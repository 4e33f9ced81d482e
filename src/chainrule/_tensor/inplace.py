"""In-place ops: ``zero_``, ``fill_``, ``add_``, ..., ``+=`` and ``x[i] = v``.

They write into the tensor's own array, so they are allowed only outside a graph (on ``.grad``,
or under ``no_grad`` as in an optimizer step). On a graph tensor ``x += y`` builds a new tensor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule._tensor.base import TensorBase
from chainrule._tensor.dispatch import Operand, Scalar, apply, array_of, index_arg, operand
from chainrule.autograd.grad_mode import state as _mode

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor


class InplaceMethods:
    __slots__ = ()

    def _check_inplace(self, op: str) -> None:
        if self._requires_grad and _mode.grad_enabled:
            raise RuntimeError(
                f"{op}: a tensor that requires grad cannot be modified in place while grad mode "
                f"is on (use `with chainrule.no_grad():`, or write x = x + y)"
            )

    def zero_(self) -> "Tensor":
        """Fill with zeros in place; return self."""
        self._check_inplace("zero_")
        self._data[...] = 0
        return self

    def fill_(self, value: Scalar) -> "Tensor":
        self._check_inplace("fill_")
        self._data[...] = value
        return self

    def add_(self, other: Operand, alpha: Scalar = 1) -> "Tensor":
        """self += alpha * other, in place."""
        self._check_inplace("add_")
        o = array_of(other)
        np.add(self._data, o if alpha == 1 else o * alpha, out=self._data)
        return self

    def sub_(self, other: Operand, alpha: Scalar = 1) -> "Tensor":
        self._check_inplace("sub_")
        o = array_of(other)
        np.subtract(self._data, o if alpha == 1 else o * alpha, out=self._data)
        return self

    def mul_(self, other: Operand) -> "Tensor":
        self._check_inplace("mul_")
        np.multiply(self._data, array_of(other), out=self._data)
        return self

    def div_(self, other: Operand) -> "Tensor":
        self._check_inplace("div_")
        np.divide(self._data, array_of(other), out=self._data)
        return self

    def copy_(self, src: Operand) -> "Tensor":
        self._check_inplace("copy_")
        self._data[...] = array_of(src)
        return self

    def _inplace_op(self, ufunc: np.ufunc, name: str, other: Any) -> "Tensor":
        o = operand(other)
        if o is NotImplemented:
            return NotImplemented
        if _mode.grad_enabled and (
            self._requires_grad or (isinstance(o, TensorBase) and o._requires_grad)
        ):
            if self._requires_grad and self._node is None:
                raise RuntimeError(
                    f"{name}: a leaf tensor that requires grad cannot be modified in place "
                    f"(wrap the update in `with chainrule.no_grad():`)"
                )
            # Differs from PyTorch: on a graph tensor, x += y builds a new tensor instead.
            return apply(name, self, o)
        ufunc(self._data, array_of(o), out=self._data)
        return self

    def __iadd__(self, other: Operand) -> "Tensor":
        return self._inplace_op(np.add, "add", other)

    def __isub__(self, other: Operand) -> "Tensor":
        return self._inplace_op(np.subtract, "sub", other)

    def __imul__(self, other: Operand) -> "Tensor":
        return self._inplace_op(np.multiply, "mul", other)

    def __itruediv__(self, other: Operand) -> "Tensor":
        return self._inplace_op(np.divide, "div", other)

    def __setitem__(self, index: Any, value: Any) -> None:
        if self._requires_grad and _mode.grad_enabled:
            raise RuntimeError(
                "setitem: cannot assign into a tensor that requires grad (in-place ops on a "
                "graph are not supported); build a new tensor with where() or cat() instead"
            )
        self._data[index_arg(index)] = array_of(value)

"""In-place ops: ``zero_``, ``fill_``, ``add_``, ``clamp_``, ``normal_``, ..., ``+=`` and ``x[i] = v``.

They write into the tensor's own array, so they are allowed only outside a graph (on ``.grad``,
or under ``no_grad`` as in an optimizer step, or on plain data). On a graph tensor ``x += y``
builds a new tensor. Every ``name_`` below that has an out-of-place ``name`` is made from it by
:func:`inplace_form`: compute ``name``, then write the result into this tensor's memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from chainrule import random as _random
from chainrule._tensor.base import TensorBase
from chainrule._tensor.dispatch import Operand, Scalar, apply, array_of, index_arg, operand
from chainrule.autograd.grad_mode import state as _mode
from chainrule.autograd.versions import mark_written

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor


def inplace_form(method: str, *, same_shape: bool = True) -> Callable[..., "Tensor"]:
    """Build ``method_`` from ``method``: the result is written into self's own array.

    ``same_shape=False`` is for shape changers (``unsqueeze_``, ``t_``): self then holds the
    result's array instead (memory that ``.data`` shared before is no longer shared)."""

    def op(self: "Tensor", *args: Any, **kwargs: Any) -> "Tensor":
        name = method + "_"
        self._check_inplace(name, args, kwargs)
        result = getattr(self, method)(*args, **kwargs)._data
        if not same_shape:
            self._data = result
            return self
        if result.shape != self._data.shape:
            raise RuntimeError(
                f"{name}: output with shape {list(self._data.shape)} doesn't match the "
                f"broadcast shape {list(result.shape)}"
            )
        if not np.can_cast(result.dtype, self._data.dtype, casting="same_kind"):
            raise RuntimeError(
                f"{name}: result type {result.dtype} can't be cast to the desired output type "
                f"{self._data.dtype}"
            )
        np.copyto(self._data, result, casting="same_kind")
        return self

    op.__name__ = op.__qualname__ = method + "_"
    op.__doc__ = f"In-place ``{method}``: computes ``self.{method}(...)`` into self; returns self."
    return op


class InplaceMethods:
    __slots__ = ()

    def _check_inplace(self, op: str, args: tuple = (), kwargs: dict | None = None) -> None:
        mark_written(self._data)  # a node that saved this memory will notice at backward
        if not _mode.grad_enabled:
            return
        if self._requires_grad:
            leaf = "a leaf Variable that requires grad" if self._node is None else "a graph tensor"
            raise RuntimeError(
                f"{op}: {leaf} cannot be modified in place here (chainrule does not track "
                f"in-place changes on a graph); wrap the update in `with chainrule.no_grad():`, "
                f"or write the out-of-place form: x = x.{op.rstrip('_')}(...)"
            )
        values = list(args) + list((kwargs or {}).values())
        if any(isinstance(v, TensorBase) and v._requires_grad for v in values):
            raise RuntimeError(
                f"{op}: an operand requires grad, but writing into a tensor in place is not "
                f"recorded; use the out-of-place form: x = x.{op.rstrip('_')}(...)"
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
        self._check_inplace("add_", (other,))
        o = array_of(other)
        np.add(self._data, o if alpha == 1 else o * alpha, out=self._data)
        return self

    def sub_(self, other: Operand, alpha: Scalar = 1) -> "Tensor":
        self._check_inplace("sub_", (other,))
        o = array_of(other)
        np.subtract(self._data, o if alpha == 1 else o * alpha, out=self._data)
        return self

    def mul_(self, other: Operand) -> "Tensor":
        self._check_inplace("mul_", (other,))
        np.multiply(self._data, array_of(other), out=self._data)
        return self

    def div_(self, other: Operand) -> "Tensor":
        self._check_inplace("div_", (other,))
        np.divide(self._data, array_of(other), out=self._data)
        return self

    def copy_(self, src: Operand) -> "Tensor":
        self._check_inplace("copy_", (src,))
        self._data[...] = array_of(src)
        return self

    # ---- in-place forms of out-of-place methods -------------------------------------------------
    clamp_ = inplace_form("clamp")
    clip_ = inplace_form("clip")
    clamp_min_ = inplace_form("clamp_min")
    clamp_max_ = inplace_form("clamp_max")
    exp_ = inplace_form("exp")
    log_ = inplace_form("log")
    sqrt_ = inplace_form("sqrt")
    abs_ = inplace_form("abs")
    neg_ = inplace_form("neg")
    pow_ = inplace_form("pow")
    square_ = inplace_form("square")
    reciprocal_ = inplace_form("reciprocal")
    sin_ = inplace_form("sin")
    cos_ = inplace_form("cos")
    floor_ = inplace_form("floor")
    ceil_ = inplace_form("ceil")
    round_ = inplace_form("round")
    trunc_ = inplace_form("trunc")
    sign_ = inplace_form("sign")
    relu_ = inplace_form("relu")
    sigmoid_ = inplace_form("sigmoid")
    tanh_ = inplace_form("tanh")
    lerp_ = inplace_form("lerp")
    masked_fill_ = inplace_form("masked_fill")
    scatter_ = inplace_form("scatter")
    scatter_add_ = inplace_form("scatter_add")
    unsqueeze_ = inplace_form("unsqueeze", same_shape=False)
    squeeze_ = inplace_form("squeeze", same_shape=False)
    t_ = inplace_form("t", same_shape=False)
    transpose_ = inplace_form("transpose", same_shape=False)
    resize_ = inplace_form("reshape", same_shape=False)

    # ---- random fills (nn.init's building blocks) ---------------------------------------------
    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> "Tensor":
        """Fill with draws from N(mean, std²), from chainrule's generator (``manual_seed``)."""
        self._check_inplace("normal_")
        self._data[...] = _random.numpy_generator(generator).normal(mean, std, self._data.shape)
        return self

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> "Tensor":
        """Fill with draws from U(from_, to)."""
        self._check_inplace("uniform_")
        self._data[...] = _random.numpy_generator(generator).uniform(from_, to, self._data.shape)
        return self

    def bernoulli_(self, p: float = 0.5, *, generator: Any = None) -> "Tensor":
        """Fill with 1 (probability p) or 0."""
        self._check_inplace("bernoulli_")
        self._data[...] = _random.numpy_generator(generator).random(self._data.shape) < p
        return self

    def random_(self, from_: int = 0, to: int | None = None, *, generator: Any = None):
        """Fill with integers drawn uniformly from [from_, to) ([0, from_) with one argument)."""
        self._check_inplace("random_")
        lo, hi = (0, from_) if to is None and from_ else (from_, to)
        if hi is None:
            hi = 2**24 if self._data.dtype.kind == "f" else np.iinfo(self._data.dtype).max
        self._data[...] = _random.numpy_generator(generator).integers(lo, hi, self._data.shape)
        return self

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> "Tensor":
        self._check_inplace("exponential_")
        self._data[...] = _random.numpy_generator(generator).exponential(
            1.0 / lambd, self._data.shape
        )
        return self

    def fill_diagonal_(self, fill_value: Scalar, wrap: bool = False) -> "Tensor":
        self._check_inplace("fill_diagonal_")
        np.fill_diagonal(self._data, fill_value, wrap=wrap)
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
        mark_written(self._data)
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
        mark_written(self._data)
        self._data[index_arg(index)] = array_of(value)

"""Reductions: ``sum``, ``mean``, ``var``/``std``, ``max``/``min`` and ``argmax``/``argmin``.

``sum``, ``amax`` and ``amin`` are rules; ``mean`` and ``var`` are written from ``sum`` with the
math in their docstrings; ``max(dim)`` picks with ``gather`` so the gradient reaches one index.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from chainrule._tensor.base import TensorBase
from chainrule._tensor.dispatch import Operand, apply, coerce, wrap
from chainrule._tensor.dtypes import int64
from chainrule.autograd.shapes import normalize_dim, normalize_dims

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor

# torch.max(x, dim) returns a (values, indices) named tuple; so does ours.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


class ReductionMethods:
    __slots__ = ()

    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        return apply("sum", self, dim=dim, keepdim=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Average over ``dim`` (all dims by default): sum / n, with n the number of elements reduced.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=0)
        tensor([2., 3.])
        """
        if self._data.dtype.kind != "f":
            raise TypeError(f"mean: input dtype must be floating point, got {self._data.dtype}")
        axes = normalize_dims("mean", dim, self.ndim)
        n = self._data.size if axes is None else math.prod(self._data.shape[d] for d in axes)
        return self.sum(axes, keepdim) / n

    def var(
        self,
        dim: int | Sequence[int] | None = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: int | None = None,
    ) -> "Tensor":
        """Variance Σ(x − mean)² / (n − correction); unbiased (correction=1) by default, like torch.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
        """
        if unbiased is not None and correction is not None:
            raise ValueError("var: pass either unbiased or correction, not both")
        c = correction if correction is not None else (0 if unbiased is False else 1)
        axes = normalize_dims("var", dim, self.ndim)
        n = self._data.size if axes is None else math.prod(self._data.shape[d] for d in axes)
        centered = self - self.mean(axes, keepdim=True)
        return (centered * centered).sum(axes, keepdim) / max(n - c, 0)

    def std(
        self,
        dim: int | Sequence[int] | None = None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: int | None = None,
    ) -> "Tensor":
        """Standard deviation: sqrt(var), unbiased by default."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def amax(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Largest value over ``dim``; ties share the gradient evenly (torch.amax's rule)."""
        return apply("amax", self, dim=dim, keepdim=keepdim)

    def amin(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Smallest value over ``dim``; ties share the gradient evenly (torch.amin's rule)."""
        return apply("amin", self, dim=dim, keepdim=keepdim)

    def max(self, dim: "int | Tensor | None" = None, keepdim: bool = False):
        """``max()`` -> 0-d tensor; ``max(dim)`` -> ``(values, indices)``; ``max(other)`` -> maximum.

        With ``dim`` the gradient goes to the returned index only (ties: the first one).

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
        max(values=tensor([5., 7.]), indices=tensor([1, 0]))
        """
        if isinstance(dim, TensorBase):
            return self.maximum(dim)
        if dim is None:
            return self.amax()
        return max_result(*self._pick(np.argmax, dim, keepdim))

    def min(self, dim: "int | Tensor | None" = None, keepdim: bool = False):
        """``min()`` -> 0-d tensor; ``min(dim)`` -> ``(values, indices)``; ``min(other)`` -> minimum."""
        if isinstance(dim, TensorBase):
            return -(-self).maximum(-dim)  # min(a, b) = -max(-a, -b)
        if dim is None:
            return self.amin()
        return min_result(*self._pick(np.argmin, dim, keepdim))

    def maximum(self, other: Operand) -> "Tensor":
        """Elementwise max of two tensors; at ties each side gets half the gradient (as torch).

        >>> Tensor([1.0, 5.0]).maximum(Tensor([3.0, 2.0]))
        tensor([3., 5.])
        """
        return apply("maximum", self, coerce(other))

    def _pick(self, arg: Callable, dim: int, keepdim: bool) -> tuple["Tensor", "Tensor"]:
        axis = normalize_dim("max" if arg is np.argmax else "min", dim, self.ndim)
        if self.ndim == 0:
            return self.clone(), wrap(np.zeros((), dtype=int64))
        idx = arg(self._data, axis=axis, keepdims=True)  # (…, 1, …)
        values = self.gather(axis, wrap(idx))
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return values, wrap(idx)

    def all(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where every element (over ``dim``) is nonzero; not differentiable."""
        axes = normalize_dims("all", dim, self.ndim)
        return wrap(np.all(self._data, axis=axes, keepdims=keepdim))

    def any(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where some element (over ``dim``) is nonzero; not differentiable."""
        axes = normalize_dims("any", dim, self.ndim)
        return wrap(np.any(self._data, axis=axes, keepdims=keepdim))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the largest value (over the flattened tensor when ``dim`` is None)."""
        if dim is None:
            return wrap(np.argmax(self._data))
        axis = normalize_dim("argmax", dim, self.ndim)
        return wrap(np.argmax(self._data, axis=axis, keepdims=keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the smallest value (over the flattened tensor when ``dim`` is None)."""
        if dim is None:
            return wrap(np.argmin(self._data))
        axis = normalize_dim("argmin", dim, self.ndim)
        return wrap(np.argmin(self._data, axis=axis, keepdims=keepdim))

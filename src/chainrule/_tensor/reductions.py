"""Reductions: ``sum``, ``mean``, ``prod``, ``var``/``std``, ``norm``, ``logsumexp``,
``max``/``min``, ``argmax``/``argmin``, ``cumsum``, and ordering (``sort``, ``topk``).

``sum``, ``mean``, ``prod``, ``amax``/``amin``, ``logsumexp``, ``norm`` and ``cumsum`` are rules;
``var`` is written from ``mean`` with the math in its docstring; ``max(dim)``, ``sort`` and
``topk`` pick with ``gather``, so the gradient reaches the picked indices only.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from chainrule._tensor.base import TensorBase
from chainrule._tensor.dispatch import Operand, apply, coerce, labelled, wrap
from chainrule._tensor.dtypes import int64
from chainrule.autograd.shapes import normalize_dim, normalize_dims

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor

# torch.max(x, dim) returns a (values, indices) named tuple; so does ours.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])
aminmax_result = namedtuple("aminmax", ["min", "max"])
mode_result = namedtuple("mode", ["values", "indices"])


class ReductionMethods:
    __slots__ = ()

    def sum(
        self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *, dtype: Any = None
    ) -> "Tensor":
        """Σ over ``dim`` (all dims by default). Bools and ints sum to int64, as in PyTorch."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x._data.dtype.kind in "biu" and x._data.dtype != np.int64:
            x = x.long()
        return _variant(apply("sum", x, dim=dim, keepdim=keepdim), "Sum", dim)

    def nansum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Σ treating nan as 0 (the gradient at a nan is 0)."""
        return self.where(~self.isnan(), 0.0).sum(dim, keepdim)

    def mean(
        self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *, dtype: Any = None
    ) -> "Tensor":
        """Average over ``dim`` (all dims by default): Σx / n, with n the number of elements reduced.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=0)
        tensor([2., 3.])
        """
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {x.dtype} (use x.float().mean())"
            )
        return _variant(apply("mean", x, dim=dim, keepdim=keepdim), "Mean", dim)

    def nanmean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Mean over the elements that are not nan."""
        keep = ~self.isnan()
        return self.nansum(dim, keepdim) / keep.sum(dim, keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> "Tensor":
        """Π over ``dim`` (all elements by default); exact gradients even where x has zeros."""
        x = self if dtype is None else self.to(dtype)
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError("prod: dim must be one int (PyTorch reduces one dim at a time)")
        return _variant(apply("prod", x, dim=dim, keepdim=keepdim), "Prod", dim)

    def cumsum(self, dim: int, *, dtype: Any = None) -> "Tensor":
        """Running sums along ``dim``: out[i] = x[0] + … + x[i]."""
        x = self if dtype is None else self.to(dtype)
        return apply("cumsum", x, dim=dim)

    def cumprod(self, dim: int, *, dtype: Any = None) -> "Tensor":
        """Running products along ``dim``, as products of slices (each gradient exact)."""
        x = self if dtype is None else self.to(dtype)
        d = normalize_dim("cumprod", dim, x.ndim)
        if x.ndim == 0:
            return x.clone()
        parts = [x.narrow(d, 0, i + 1).prod(d, keepdim=True) for i in range(x.shape[d])]
        return apply("cat", *parts, dim=d) if parts else x.clone()

    def logsumexp(self, dim: int | Sequence[int], keepdim: bool = False) -> "Tensor":
        """log Σ exp(x) over ``dim``, computed stably as m + log Σ exp(x − m), m = max x."""
        return apply("logsumexp", self, dim=dim, keepdim=keepdim)

    def norm(
        self,
        p: "float | str | None" = "fro",
        dim: int | Sequence[int] | None = None,
        keepdim: bool = False,
        dtype: Any = None,
    ) -> "Tensor":
        """The p-norm (‖x‖₂ = √Σx² by default; 'fro' is the 2-norm of all elements).

        p = 1 is Σ|x|, p = inf the largest |x|; other p are (Σ|x|^p)^(1/p). The 2-norm's
        gradient at 0 is 0, as PyTorch's.
        """
        x = self if dtype is None else self.to(dtype)
        if p in ("fro", None, 2, 2.0):
            return apply("norm", x, dim=dim, keepdim=keepdim)
        if p == "nuc":
            raise NotImplementedError("norm: the nuclear norm is not implemented")
        if p in (1, 1.0):
            return x.abs().sum(dim, keepdim)
        if p == math.inf:
            return x.abs().amax(() if dim is None else dim, keepdim)
        if p == -math.inf:
            return x.abs().amin(() if dim is None else dim, keepdim)
        if p == 0:
            return (x != 0).to(x.dtype).sum(dim, keepdim)
        return x.abs().pow(p).sum(dim, keepdim).pow(1.0 / p)

    def count_nonzero(self, dim: int | Sequence[int] | None = None) -> "Tensor":
        axes = normalize_dims("count_nonzero", dim, self.ndim)
        return wrap(np.asarray(np.count_nonzero(self._data, axis=axes), dtype=np.int64))

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

    def minimum(self, other: Operand) -> "Tensor":
        """Elementwise min of two tensors: −maximum(−a, −b), so ties share the gradient too."""
        return -(-self).maximum(-coerce(other))

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

    # ---- ordering: the values are picked with gather, so the gradient reaches them -------------
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """``(values, indices)`` sorted along ``dim``; ties keep their order (a stable sort)."""
        axis = normalize_dim("sort", dim, self.ndim) if self.ndim else 0
        if self.ndim == 0:
            return sort_result(self.clone(), wrap(np.zeros((), dtype=np.int64)))
        key = -self._data if descending and self._data.dtype.kind != "b" else self._data
        idx = np.argsort(key, axis=axis, kind="stable")
        if descending and self._data.dtype.kind == "b":
            idx = np.flip(np.argsort(self._data, axis=axis, kind="stable"), axis)
        return sort_result(self.gather(axis, wrap(idx)), wrap(idx.astype(np.int64)))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> "Tensor":
        return self.sort(dim, descending, stable).indices

    def msort(self) -> "Tensor":
        return self.sort(0).values

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
        axis = normalize_dim("topk", dim, self.ndim) if self.ndim else 0
        n = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size {n}")
        values, indices = self.sort(dim, descending=largest)
        return topk_result(values.narrow(axis, 0, k), indices.narrow(axis, 0, k))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """The k-th smallest value (1-based) along ``dim`` and its index."""
        axis = normalize_dim("kthvalue", dim, self.ndim) if self.ndim else 0
        values, indices = self.sort(axis)
        v, i = values.select(axis, k - 1), indices.select(axis, k - 1)
        if keepdim:
            v, i = v.unsqueeze(axis), i.unsqueeze(axis)
        return kthvalue_result(v, i)

    def median(self, dim: int | None = None, keepdim: bool = False):
        """The lower median (PyTorch's: no averaging of the two middle values).

        ``median()`` is a 0-d tensor; ``median(dim)`` gives ``(values, indices)``."""
        if dim is None:
            flat = self.reshape(-1)
            return flat.sort().values[(flat.numel() - 1) // 2]
        axis = normalize_dim("median", dim, self.ndim) if self.ndim else 0
        n = self.shape[axis] if self.ndim else 1
        v, i = self.kthvalue((n - 1) // 2 + 1, axis, keepdim)
        return median_result(v, i)

    def mode(self, dim: int = -1, keepdim: bool = False):
        """The most frequent value along ``dim`` (the smallest among ties) and an index of it."""
        axis = normalize_dim("mode", dim, self.ndim) if self.ndim else 0
        if self.ndim == 0:
            return mode_result(self.clone(), wrap(np.zeros((), dtype=np.int64)))
        moved = np.moveaxis(self._data, axis, -1)
        flat = moved.reshape(-1, moved.shape[-1])
        picks = []
        for row in flat:
            values, counts = np.unique(row, return_counts=True)  # sorted, so ties pick the smallest
            v = values[np.argmax(counts)]
            picks.append(np.flatnonzero(row == v)[-1])  # PyTorch reports the last occurrence
        idx = np.asarray(picks, dtype=np.int64).reshape(moved.shape[:-1])
        idx = np.expand_dims(idx, axis)
        values = self.gather(axis, wrap(idx))
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return mode_result(values, wrap(idx))

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False):
        lo = self.amin(() if dim is None else dim, keepdim)
        hi = self.amax(() if dim is None else dim, keepdim)
        return aminmax_result(lo, hi)


def _variant(t: "Tensor", stem: str, dim: Any) -> "Tensor":
    """``x.sum()`` is ``SumBackward0`` in PyTorch, ``x.sum(dim)`` ``SumBackward1``."""
    return labelled(t, f"{stem}Backward{0 if dim is None else 1}")

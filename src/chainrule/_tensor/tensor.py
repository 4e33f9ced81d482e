"""``Tensor``: a NumPy array plus what autograd needs, with PyTorch's names and semantics.

This file holds what a tensor *is*: its construction, attributes, conversions, printing and
its autograd methods (``backward``, ``detach``, hooks). The math methods are grouped by topic in
the files next to it, and the class below is assembled from them:

- ``arithmetic.py``: ``+ - * / ** @`` and comparisons
- ``elementwise.py``: ``exp``, ``log``, ``clamp``, the activations, ``softmax``
- ``reductions.py``: ``sum``, ``mean``, ``var``, ``max``, ``argmax``, ...
- ``shape.py``: ``reshape``, ``permute``, ``squeeze``, indexing, ``clone``
- ``inplace.py``: ``zero_``, ``add_``, ``+=``, ``x[i] = v``

Every differentiable method is one line that dispatches into the table in
``chainrule.autograd.rules`` through :func:`~chainrule._tensor.dispatch.apply`, which runs the
rule's forward and, when a gradient will be needed, records a graph node. Composite methods
(``mean``, ``var``, ``softmax``, ...) are written in terms of those, with the math in a comment.

Where chainrule differs from PyTorch, the docstring says so. The big ones: ``.data`` and
``.numpy()`` are the underlying NumPy array (no copy, even when ``requires_grad``), there is no
device, and in-place ops are only allowed on tensors that are not part of a graph.

>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y
tensor(14., grad_fn=<SumBackward>)
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Iterator, Union

import numpy as np

from chainrule._tensor.arithmetic import ArithmeticMethods
from chainrule._tensor.base import TensorBase
from chainrule._tensor.dispatch import Scalar, apply, register_tensor_class, wrap
from chainrule._tensor.dtypes import DTypeLike, float32, float64, int64, to_array
from chainrule._tensor.elementwise import ElementwiseMethods
from chainrule._tensor.inplace import InplaceMethods
from chainrule._tensor.reductions import ReductionMethods
from chainrule._tensor.shape import ShapeMethods
from chainrule.autograd import backward as _backward
from chainrule.autograd.backward_pass import warn_non_leaf_grad
from chainrule.autograd.graph import Node
from chainrule.autograd.shapes import normalize_dim

__all__ = ["Tensor"]


class _HookHandle:
    """Returned by :meth:`Tensor.register_hook`; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_key")

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks = hooks
        self._key = key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


_next_hook_key = 0


# ------------------------------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------------------------------
class Tensor(
    ArithmeticMethods,
    ElementwiseMethods,
    ReductionMethods,
    ShapeMethods,
    InplaceMethods,
    TensorBase,
):
    """An n-dimensional array that records the ops applied to it, so it can backpropagate.

    ``Tensor(data, requires_grad=False, dtype=None)``: a NumPy array keeps its dtype (and is not
    copied when the dtype matches); Python floats become float32, Python ints int64, bools bool.

    Differs from PyTorch: ``.data`` is the NumPy array itself (assigning a Tensor or an array
    replaces it), ``.numpy()`` works even when ``requires_grad`` is True, and there are no devices.

    >>> w = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> w.shape, w.dtype, w.is_leaf
    ((1, 2), dtype('float32'), True)
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        self._data = to_array(data, dtype)
        self._grad = None
        self._node = None
        self._hooks = None
        self._retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # The engine builds tensors (gradients, hook arguments) through this, never by class name.
    _wrap = staticmethod(wrap)

    # ---- attributes -----------------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The underlying NumPy array (not a Tensor, unlike PyTorch); assigning replaces it."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def grad(self) -> "Tensor | None":
        """dL/d(self) after ``backward()``, accumulated across calls; None until then.

        Filled in for leaves, and for non-leaves only after ``retain_grad()``.
        """
        if self._node is not None and not self._retains_grad and self._grad is None:
            warn_non_leaf_grad()
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | np.ndarray | None") -> None:
        if value is None:
            self._grad = None
            return
        g = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        if g._data.shape != self._data.shape:
            raise RuntimeError(
                f"grad: assigned grad has shape {g._data.shape} but the tensor has shape "
                f"{self._data.shape}"
            )
        self._grad = g

    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded so that gradients can reach it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def is_leaf(self) -> bool:
        """True for tensors you created (not the result of a recorded op)."""
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        """The node that produced this tensor (``<MulBackward>``), or None for a leaf."""
        return self._node

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> str:
        """Always ``'cpu'``: chainrule runs on NumPy."""
        return "cpu"

    @property
    def T(self) -> "Tensor":
        """The tensor with its dims reversed (a transpose for matrices)."""
        return self.permute(*range(self.ndim - 1, -1, -1))

    def size(self, dim: int | None = None) -> Union[tuple[int, ...], int]:
        """Return the shape, or the length of one dim.

        >>> Tensor([[1.0, 2.0, 3.0]]).size(1)
        3
        """
        if dim is None:
            return self._data.shape
        return self._data.shape[normalize_dim("size", dim, self.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # ---- conversion -----------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """Return the underlying array (no copy; works even when ``requires_grad`` is True)."""
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        arr = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def item(self) -> Scalar:
        """Return the single value as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to a scalar"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
        return bool(self._data)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(repr(self), spec)

    def to(self, dtype: DTypeLike) -> "Tensor":
        """Return the tensor with another dtype (itself if unchanged); differentiable between floats.

        ``to('cpu')`` is accepted and does nothing.
        """
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        dt = np.dtype(dtype)
        if dt == self._data.dtype:
            return self
        if dt.kind == "f" and self._data.dtype.kind == "f":
            return apply("cast", self, dtype=dt)
        return wrap(self._data.astype(dt))  # to an integer/bool type: no gradient flows

    def float(self) -> "Tensor":
        return self.to(float32)

    def double(self) -> "Tensor":
        return self.to(float64)

    def long(self) -> "Tensor":
        return self.to(int64)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def contiguous(self) -> "Tensor":
        """Return self (NumPy handles strides for us)."""
        return self

    def __repr__(self) -> str:
        arr = self._data
        opts: dict[str, Any] = {"separator": ", ", "prefix": "tensor("}
        fractional = arr.dtype.kind == "f" and arr.size and np.isfinite(arr).all()
        if fractional and (arr != np.round(arr)).any():
            opts.update(precision=4, floatmode="fixed", suppress_small=True)  # torch's 4 decimals
        body = np.array2string(arr, **opts)
        extras = []
        if arr.dtype not in (float32, int64, np.dtype(bool)):
            extras.append(f"dtype={arr.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __deepcopy__(self, memo: dict) -> "Tensor":
        # As in torch: a leaf copies its data (and grad); a graph result cannot be deep-copied.
        if self._node is not None:
            raise RuntimeError(
                "deepcopy: only leaf tensors support deepcopy; use .detach() first to copy a "
                "tensor computed by an op"
            )
        new = object.__new__(type(self))
        memo[id(self)] = new
        new._data = self._data.copy()
        new._grad = None if self._grad is None else copy.deepcopy(self._grad, memo)
        new._requires_grad = self._requires_grad
        new._node = None
        new._hooks = None
        new._retains_grad = False
        if hasattr(self, "__dict__"):  # subclasses (nn.Parameter) may carry attributes
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    # ---- autograd -------------------------------------------------------------------------------
    def backward(
        self,
        gradient: "Tensor | np.ndarray | None" = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Compute d(self)/d(leaf) for every leaf with ``requires_grad`` and add it to ``.grad``.

        Rule: each node receives ∂L/∂(its output) and hands ∂L/∂(input) = VJP to its inputs,
        in reverse topological order; gradients from several paths add up.

        >>> x = Tensor(3.0, requires_grad=True)
        >>> (x * x).backward()
        >>> x.grad
        tensor(6.)
        """
        if create_graph:
            raise NotImplementedError(
                "backward: create_graph=True (higher-order gradients) is not supported"
            )
        _backward(self, gradient, bool(retain_graph))

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place (only on leaves, only for floating dtypes); return self."""
        if self._node is not None:
            if not requires_grad:
                raise RuntimeError(
                    "requires_grad: you can only change requires_grad flags of leaf tensors "
                    "(use .detach() to get a tensor without history)"
                )
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad: only tensors of floating point dtype can require gradients "
                f"(this one is {self._data.dtype})"
            )
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> "Tensor":
        """Return a tensor sharing this one's data but cut from the graph (no grad flows back)."""
        return wrap(self._data)

    def retain_grad(self) -> None:
        """Ask backward() to fill in ``.grad`` for this non-leaf tensor too."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        if self._node is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it.

        On a leaf the hook runs before the gradient is added to ``.grad``.

        >>> x = Tensor([1.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 2).sum().backward(); x.grad
        tensor([20.])
        >>> h.remove()
        """
        global _next_hook_key
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require grad"
            )
        if self._hooks is None:
            self._hooks = {}
        _next_hook_key += 1
        self._hooks[_next_hook_key] = hook
        return _HookHandle(self._hooks, _next_hook_key)


# Op results are made of the finished class (dispatch.py cannot import this module: it is below it).
register_tensor_class(Tensor)

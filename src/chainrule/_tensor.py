"""``Tensor``: a NumPy array plus what autograd needs, with PyTorch's names and semantics.

Every differentiable method is one line that dispatches into the table in ``chainrule.autograd.rules``
through :func:`_apply`, which runs the rule's forward and, when a gradient will be needed,
records a :class:`~chainrule.autograd.Node`. Composite methods (``mean``, ``var``, ``softmax``,
``stack``, ...) are written in terms of those, with the math in a comment.

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
import math
from collections import namedtuple
from typing import Any, Callable, Iterator, Sequence, Union

import numpy as np

from chainrule.autograd import backward as _backward
from chainrule.autograd.backward_pass import warn_non_leaf_grad
from chainrule.autograd.grad_mode import check_forward
from chainrule.autograd.grad_mode import state as _mode
from chainrule.autograd.graph import Node
from chainrule.autograd.registry import RULES, get_rule
from chainrule.autograd.shapes import broadcast_error, normalize_dim, normalize_dims

__all__ = ["Tensor", "float32", "float64", "int64"]

# dtype aliases, so ``chainrule.float64`` reads like ``torch.float64``. They are NumPy dtypes.
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")

DTypeLike = Union[np.dtype, type, str, None]
Scalar = Union[int, float, bool]
# Anything a binary op accepts as its other operand.
Operand = Union["Tensor", Scalar, np.ndarray]

# torch.max(x, dim) returns a (values, indices) named tuple; so does ours.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


# ------------------------------------------------------------------------------------------------
# Dispatch: the single path from a Tensor method to a rule in autograd/rules.py
# --------------------------------------------------------------------------------------------------
_new = object.__new__


def _wrap(data: Any, node: Node | None = None) -> "Tensor":
    """Wrap an array produced by an op (no checks, no copy): the fast internal constructor."""
    if type(data) is not np.ndarray:  # NumPy reductions hand back scalars; keep arrays
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._node = node
    t._requires_grad = node is not None
    t._grad = None
    t._hooks = None
    t._retains_grad = False
    return t


def _apply(name: str, *inputs: Any, **params: Any) -> "Tensor":
    """Run primitive ``name`` on ``inputs`` and record a graph node if a gradient is needed.

    Inputs are Tensors or plain operands (Python numbers, arrays) that never need a gradient.
    """
    rule = RULES.get(name) or get_rule(name)
    arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
    try:
        out, saved = rule.forward(*arrays, **params)
    except ValueError as e:
        # NumPy's "operands could not be broadcast together" becomes "add: shapes ... ".
        if rule.broadcasts and not str(e).startswith(name + ":"):
            try:
                np.broadcast_shapes(*(np.shape(a) for a in arrays if a is not None))
            except ValueError:
                raise broadcast_error(name, *arrays) from None
        raise
    if _mode.anomaly_enabled:
        check_forward(name, out, arrays)
    if _mode.grad_enabled:
        # Record only if some input wants a gradient; ops on constants build no graph.
        needs = tuple([isinstance(x, Tensor) and x._requires_grad for x in inputs])
        if True in needs:
            return _wrap(out, Node(rule, saved, inputs, needs))
    return _wrap(out)


def _operand(x: Any) -> Any:
    """Accept the other operand of a binary op the way PyTorch does, or say NotImplemented.

    NumPy scalars and 0-d arrays become Python numbers: NumPy 2 would let ``np.float64(2.0)``
    promote a float32 tensor to float64; PyTorch (and a Python ``2.0``) would not.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):  # checked before float: np.float64 *is* a float subclass
        return x.item()
    if isinstance(x, (int, float)):
        return x
    if isinstance(x, np.ndarray):
        return x.item() if x.ndim == 0 else x
    return NotImplemented


def _coerce(x: Any) -> Any:
    """An operand for a named method or a torch-namespace function: lists become tensors."""
    o = _operand(x)
    return Tensor(x) if o is NotImplemented else o


def _binary_dunder(op: str, reflected: bool = False) -> Callable[["Tensor", Any], "Tensor"]:
    """Build ``__add__``-style operators: ``NotImplemented`` for foreign types lets Python try
    the other operand's method; ``reflected`` puts the Tensor on the right (``2 - x``)."""

    def operator(self: "Tensor", other: Any) -> "Tensor":
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        return _apply(op, o, self) if reflected else _apply(op, self, o)

    return operator


def _array_of(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _index(index: Any) -> Any:
    """Turn Tensors and lists inside an index into NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray([_array_of(i) for i in index])
    return index


def _shape_arg(op: str, shape: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be ints, got {shape}")
    return tuple(int(n) for n in shape)


def _default_dtype(arr: np.ndarray) -> np.ndarray:
    """Python data gets PyTorch's defaults: floats -> float32, ints -> int64, bools stay."""
    kind = arr.dtype.kind
    if kind == "f" and arr.dtype != float32:
        return arr.astype(float32)
    if kind in "iu" and arr.dtype != int64:
        return arr.astype(int64)
    return arr


def _to_array(data: Any, dtype: DTypeLike = None) -> np.ndarray:
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data  # keep its dtype, no copy
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"Tensor: cannot build a tensor from this data ({e})") from None
        if arr.dtype == object:
            raise TypeError(f"Tensor: cannot build a tensor from {type(data).__name__} data")
        if dtype is None:
            arr = _default_dtype(arr)
    if dtype is not None:
        dt = np.dtype(dtype)
        if arr.dtype != dt:
            arr = arr.astype(dt)
    return arr


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
class Tensor:
    """An n-dimensional array that records the ops applied to it, so it can backpropagate.

    ``Tensor(data, requires_grad=False, dtype=None)``: a NumPy array keeps its dtype (and is not
    copied when the dtype matches); Python floats become float32, Python ints int64, bools bool.

    Differs from PyTorch: ``.data`` is the NumPy array itself (assigning a Tensor or an array
    replaces it), ``.numpy()`` works even when ``requires_grad`` is True, and there are no devices.

    >>> w = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> w.shape, w.dtype, w.is_leaf
    ((1, 2), dtype('float32'), True)
    """

    __slots__ = (
        "_data",
        "_grad",
        "_requires_grad",
        "_node",
        "_hooks",
        "_retains_grad",
        "__weakref__",
    )

    # Tell NumPy to step aside: ``ndarray + Tensor`` then calls Tensor.__radd__ (and stays
    # differentiable) instead of NumPy converting the Tensor into an array.
    __array_ufunc__ = None
    # ``==`` is elementwise, so Python would drop hashing; tensors hash by identity, as in torch
    # (optimizers key their state by parameter).
    __hash__ = object.__hash__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        self._data = _to_array(data, dtype)
        self._grad = None
        self._node = None
        self._hooks = None
        self._retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # The engine builds tensors (gradients, hook arguments) through this, never by class name.
    _wrap = staticmethod(_wrap)

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
            return _apply("cast", self, dtype=dt)
        return _wrap(self._data.astype(dt))  # to an integer/bool type: no gradient flows

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
        new = _new(type(self))
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
        return _wrap(self._data)

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

    # ---- in place (only outside a graph, e.g. on .grad or under no_grad) ------------------------
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
        o = _array_of(other)
        np.add(self._data, o if alpha == 1 else o * alpha, out=self._data)
        return self

    def sub_(self, other: Operand, alpha: Scalar = 1) -> "Tensor":
        self._check_inplace("sub_")
        o = _array_of(other)
        np.subtract(self._data, o if alpha == 1 else o * alpha, out=self._data)
        return self

    def mul_(self, other: Operand) -> "Tensor":
        self._check_inplace("mul_")
        np.multiply(self._data, _array_of(other), out=self._data)
        return self

    def div_(self, other: Operand) -> "Tensor":
        self._check_inplace("div_")
        np.divide(self._data, _array_of(other), out=self._data)
        return self

    def copy_(self, src: Operand) -> "Tensor":
        self._check_inplace("copy_")
        self._data[...] = _array_of(src)
        return self

    def _inplace_op(self, ufunc: np.ufunc, name: str, other: Any) -> "Tensor":
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        if _mode.grad_enabled and (
            self._requires_grad or (isinstance(o, Tensor) and o._requires_grad)
        ):
            if self._requires_grad and self._node is None:
                raise RuntimeError(
                    f"{name}: a leaf tensor that requires grad cannot be modified in place "
                    f"(wrap the update in `with chainrule.no_grad():`)"
                )
            # Differs from PyTorch: on a graph tensor, x += y builds a new tensor instead.
            return _apply(name, self, o)
        ufunc(self._data, _array_of(o), out=self._data)
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
        self._data[_index(index)] = _array_of(value)

    # ---- arithmetic (NumPy broadcasting; the reflected forms keep scalar/array on the left) --

    def add(self, other: Operand) -> "Tensor":
        """``self + other``, broadcasting; d/da = d/db = 1."""
        return _apply("add", self, _coerce(other))

    def sub(self, other: Operand) -> "Tensor":
        """``self - other``, broadcasting."""
        return _apply("sub", self, _coerce(other))

    def mul(self, other: Operand) -> "Tensor":
        """``self * other``, broadcasting; d(ab)/da = b."""
        return _apply("mul", self, _coerce(other))

    def div(self, other: Operand) -> "Tensor":
        """``self / other``, broadcasting; an int tensor divided gives float32, as in PyTorch."""
        return _apply("div", self, _coerce(other))

    def neg(self) -> "Tensor":
        return _apply("neg", self)

    def pow(self, exponent: Operand) -> "Tensor":
        """``self ** exponent``, broadcasting."""
        return _apply("pow", self, _coerce(exponent))

    def matmul(self, other: Operand) -> "Tensor":
        """Matrix product with NumPy/torch rules for 1-D operands and batch broadcasting."""
        return _apply("matmul", self, _coerce(other))

    # The operators are one line each: the rule's name, and whether the Tensor is on the right.
    __add__ = _binary_dunder("add")
    __radd__ = _binary_dunder("add", reflected=True)
    __sub__ = _binary_dunder("sub")
    __rsub__ = _binary_dunder("sub", reflected=True)
    __mul__ = _binary_dunder("mul")
    __rmul__ = _binary_dunder("mul", reflected=True)
    __truediv__ = _binary_dunder("div")
    __rtruediv__ = _binary_dunder("div", reflected=True)
    __pow__ = _binary_dunder("pow")
    __rpow__ = _binary_dunder("pow", reflected=True)
    __matmul__ = _binary_dunder("matmul")
    __rmatmul__ = _binary_dunder("matmul", reflected=True)

    def __neg__(self) -> "Tensor":
        return self.neg()

    def __abs__(self) -> "Tensor":
        return _apply("abs", self)

    def __pos__(self) -> "Tensor":
        return self

    # ---- comparisons (not differentiable: bool results) -----------------------------------------
    def _compare(self, ufunc: np.ufunc, name: str, other: Any) -> "Tensor":
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        a, b = self._data, _array_of(o)
        try:
            return _wrap(ufunc(a, b))
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

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(np.equal, "eq", other)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(np.not_equal, "ne", other)

    # ---- elementwise math -----------------------------------------------------------------------
    def exp(self) -> "Tensor":
        return _apply("exp", self)

    def log(self) -> "Tensor":
        return _apply("log", self)

    def sqrt(self) -> "Tensor":
        return _apply("sqrt", self)

    def abs(self) -> "Tensor":
        return _apply("abs", self)

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        """Limit values to [min, max]; the gradient passes only where the input was inside.

        >>> Tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000])
        """
        lo = None if min is None else _operand(min)
        hi = None if max is None else _operand(max)
        return _apply("clamp", self, min=lo, max=hi)

    clip = clamp

    def relu(self) -> "Tensor":
        return _apply("relu", self)

    def sigmoid(self) -> "Tensor":
        return _apply("sigmoid", self)

    def tanh(self) -> "Tensor":
        return _apply("tanh", self)

    def gelu(self, approximate: str = "none") -> "Tensor":
        return _apply("gelu", self, approximate=approximate)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        return _apply("leaky_relu", self, negative_slope=float(negative_slope))

    def log_softmax(self, dim: int) -> "Tensor":
        """log softmax along ``dim``, computed stably as x − max − log Σ exp(x − max)."""
        return _apply("log_softmax", self, dim=dim)

    def softmax(self, dim: int) -> "Tensor":
        """softmax along ``dim``: exp(log_softmax(x)), so it inherits the log-sum-exp stability.

        >>> Tensor([0.0, 0.0]).softmax(dim=0)
        tensor([0.5000, 0.5000])
        """
        return self.log_softmax(dim).exp()

    # ---- reductions -----------------------------------------------------------------------------
    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        return _apply("sum", self, dim=dim, keepdim=keepdim)

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
        return _apply("amax", self, dim=dim, keepdim=keepdim)

    def amin(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """Smallest value over ``dim``; ties share the gradient evenly (torch.amin's rule)."""
        return _apply("amin", self, dim=dim, keepdim=keepdim)

    def max(self, dim: "int | Tensor | None" = None, keepdim: bool = False):
        """``max()`` -> 0-d tensor; ``max(dim)`` -> ``(values, indices)``; ``max(other)`` -> maximum.

        With ``dim`` the gradient goes to the returned index only (ties: the first one).

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
        max(values=tensor([5., 7.]), indices=tensor([1, 0]))
        """
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return self.amax()
        return max_result(*self._pick(np.argmax, dim, keepdim))

    def min(self, dim: "int | Tensor | None" = None, keepdim: bool = False):
        """``min()`` -> 0-d tensor; ``min(dim)`` -> ``(values, indices)``; ``min(other)`` -> minimum."""
        if isinstance(dim, Tensor):
            return -(-self).maximum(-dim)  # min(a, b) = -max(-a, -b)
        if dim is None:
            return self.amin()
        return min_result(*self._pick(np.argmin, dim, keepdim))

    def maximum(self, other: Operand) -> "Tensor":
        """Elementwise max of two tensors; at ties each side gets half the gradient (as torch).

        >>> Tensor([1.0, 5.0]).maximum(Tensor([3.0, 2.0]))
        tensor([3., 5.])
        """
        return _apply("maximum", self, _coerce(other))

    def _pick(self, arg: Callable, dim: int, keepdim: bool) -> tuple["Tensor", "Tensor"]:
        axis = normalize_dim("max" if arg is np.argmax else "min", dim, self.ndim)
        if self.ndim == 0:
            return self.clone(), _wrap(np.zeros((), dtype=int64))
        idx = arg(self._data, axis=axis, keepdims=True)  # (…, 1, …)
        values = self.gather(axis, _wrap(idx))
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return values, _wrap(idx)

    def all(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where every element (over ``dim``) is nonzero; not differentiable."""
        axes = normalize_dims("all", dim, self.ndim)
        return _wrap(np.all(self._data, axis=axes, keepdims=keepdim))

    def any(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """True where some element (over ``dim``) is nonzero; not differentiable."""
        axes = normalize_dims("any", dim, self.ndim)
        return _wrap(np.any(self._data, axis=axes, keepdims=keepdim))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the largest value (over the flattened tensor when ``dim`` is None)."""
        if dim is None:
            return _wrap(np.argmax(self._data))
        axis = normalize_dim("argmax", dim, self.ndim)
        return _wrap(np.argmax(self._data, axis=axis, keepdims=keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        """Index of the smallest value (over the flattened tensor when ``dim`` is None)."""
        if dim is None:
            return _wrap(np.argmin(self._data))
        axis = normalize_dim("argmin", dim, self.ndim)
        return _wrap(np.argmin(self._data, axis=axis, keepdims=keepdim))

    # ---- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> "Tensor":
        """Return the same elements in a new shape (one size may be -1).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1).shape
        (2, 2)
        """
        return _apply("reshape", self, shape=_shape_arg("reshape", shape))

    def view(self, *shape: Any) -> "Tensor":
        """Same as :meth:`reshape` (NumPy decides whether it can be a view; torch would insist)."""
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dims ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        s = normalize_dim("flatten", start_dim, self.ndim)
        e = normalize_dim("flatten", end_dim, self.ndim)
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])

    def permute(self, *dims: Any) -> "Tensor":
        """Reorder the dims: ``out.shape[i] == self.shape[dims[i]]``."""
        return _apply("permute", self, dims=_shape_arg("permute", dims))

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        """Swap two dims."""
        order = list(range(self.ndim))
        d0 = normalize_dim("transpose", dim0, self.ndim)
        d1 = normalize_dim("transpose", dim1, self.ndim)
        if self.ndim == 0:
            return self
        order[d0], order[d1] = order[d1], order[d0]
        return self.permute(*order)

    def unsqueeze(self, dim: int) -> "Tensor":
        """Insert a size-1 dim at ``dim``."""
        d = normalize_dim("unsqueeze", dim, self.ndim + 1)
        shape = self.shape
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def squeeze(self, dim: int | Sequence[int] | None = None) -> "Tensor":
        """Drop size-1 dims (all of them, or those in ``dim`` that have size 1)."""
        shape = self.shape
        if dim is None:
            drop = {i for i, n in enumerate(shape) if n == 1}
        else:
            drop = {d for d in (normalize_dims("squeeze", dim, self.ndim) or ()) if shape[d] == 1}
        if not drop:
            return self
        return self.reshape(tuple(n for i, n in enumerate(shape) if i not in drop))

    def expand(self, *sizes: Any) -> "Tensor":
        """Broadcast to ``sizes`` without copying (-1 keeps a dim); the VJP sums the copies."""
        return _apply("expand", self, shape=_shape_arg("expand", sizes))

    def gather(self, dim: int, index: "Tensor | np.ndarray") -> "Tensor":
        """Pick ``out[i][j] = self[i][index[i][j]]`` along ``dim`` (torch.gather, for dim=1)."""
        return _apply("gather", self, _index(index), dim=dim)

    def __getitem__(self, index: Any) -> "Tensor":
        """Index like NumPy: ints, slices, None, ..., integer arrays/tensors, boolean masks.

        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> x[[0, 0, 2]].sum().backward(); x.grad
        tensor([2., 0., 1.])
        """
        return _apply("getitem", self, index=_index(index))

    def clone(self) -> "Tensor":
        """Return a copy that stays in the graph (gradient flows back unchanged)."""
        return _apply("clone", self)

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
tensor(14., grad_fn=<SumBackward0>)
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Iterator, Union

import numpy as np

from chainrule._tensor.arithmetic import ArithmeticMethods
from chainrule._tensor.base import TensorBase, missing_attribute
from chainrule._tensor.device import CPU, GPU_MESSAGE, check_device, device
from chainrule._tensor.dispatch import Scalar, apply, register_tensor_class, shape_arg, wrap
from chainrule._tensor.dtypes import (
    DTypeLike,
    dtype,
    float16,
    float32,
    float64,
    int32,
    int64,
    of_array,
    to_array,
    to_numpy_dtype,
)
from chainrule._tensor.elementwise import ElementwiseMethods
from chainrule._tensor.inplace import InplaceMethods
from chainrule._tensor.printing import tensor_repr
from chainrule._tensor.reductions import ReductionMethods
from chainrule._tensor.shape import ShapeMethods
from chainrule._tensor.size import Size
from chainrule.autograd import backward as _backward
from chainrule.autograd.backward_pass import warn_non_leaf_grad
from chainrule.autograd.graph import Node
from chainrule.autograd.shapes import normalize_dim

__all__ = ["Tensor", "as_tensor", "parse_to_arguments"]


# ``t.type()`` names, PyTorch's legacy tensor-type names.
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


def _constructor_array(args: tuple, dtype: DTypeLike) -> np.ndarray:
    """What ``Tensor(...)`` holds. As ``torch.Tensor``: data becomes float32 whatever it was
    (``Tensor([1, 2])`` is ``tensor([1., 2.])``), ints alone are sizes (``Tensor(2, 3)``).
    chainrule's extra ``dtype=`` keeps another dtype; ``chainrule.tensor`` infers it instead."""
    dt = float32.dtype if dtype is None else to_numpy_dtype(dtype)
    if not args:
        return np.empty(0, dtype=dt)
    if isinstance(args[0], Size) or all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args
    ):
        # torch leaves this memory uninitialised; zeros are what a reader would expect to see
        return np.zeros(shape_arg("Tensor", args), dtype=dt)
    if len(args) > 1:
        raise TypeError(
            "Tensor: pass the data as one sequence (Tensor([1.0, 2.0])) or sizes as ints "
            "(Tensor(2, 3))"
        )
    return to_array(args[0], dt)


def parse_to_arguments(where: str, args: tuple, kwargs: dict) -> tuple[np.dtype | None, bool]:
    """Read ``.to(...)``'s arguments, as in PyTorch: a dtype, a device, both, or a tensor whose
    dtype to take, plus ``copy=``. Returns (the numpy dtype or None, copy). The only device is
    the CPU, so a device argument is only checked (``to('cuda')`` says what to write instead)."""
    kwargs = dict(kwargs)
    target = kwargs.pop("dtype", None)
    check_device(where, kwargs.pop("device", None))
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{where}: unexpected keyword argument {next(iter(kwargs))!r}")
    for arg in args:
        if isinstance(arg, TensorBase):
            target = arg._data.dtype
        elif isinstance(arg, bool):
            continue  # to(dtype, non_blocking, copy): positional flags
        elif isinstance(arg, str) and arg.split(":")[0] not in _DEVICE_TYPES:
            target = arg  # a dtype's name, 'float64' (PyTorch wants chainrule.float64)
        elif isinstance(arg, (str, device, int)):
            check_device(where, arg)
        else:
            target = arg
    return (None if target is None else to_numpy_dtype(target)), copy


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla")


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
    (chainrule.Size([1, 2]), chainrule.float32, True)
    """

    __slots__ = ()

    def __init__(self, *data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        self._data = _constructor_array(data, dtype)
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
    def data(self) -> "Tensor":
        """The same values as a tensor outside the graph, sharing memory (as in PyTorch).

        Writing into it changes this tensor without autograd seeing it: ``p.data -= lr * g``.
        Assigning a tensor (or an array) replaces the values.
        """
        return wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, TensorBase) else to_array(value)

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
        g = value if isinstance(value, TensorBase) else wrap(np.asarray(value))
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
        """The node that produced this tensor (``<MulBackward0>``), or None for a leaf."""
        return self._node

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> dtype:
        return of_array(self._data)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> device:
        """Always ``device(type='cpu')``: chainrule runs on NumPy."""
        return CPU

    is_cuda = False

    @property
    def T(self) -> "Tensor":
        """The tensor with its dims reversed (a transpose for matrices)."""
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (a batch of transposed matrices)."""
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Union[Size, int]:
        """Return the shape, or the length of one dim.

        >>> Tensor([[1.0, 2.0, 3.0]]).size(1)
        3
        """
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_dim("size", dim, self.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    def stride(self, dim: int | None = None) -> "tuple[int, ...] | int":
        """Steps between elements per dim, in elements (NumPy's strides divided by the item size)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[normalize_dim("stride", dim, self.ndim)]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        """The address of the first element: equal for tensors that share memory from the start."""
        return self._data.__array_interface__["data"][0]

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __contains__(self, element: Any) -> bool:
        return bool((self._data == getattr(element, "_data", element)).any())

    def __getattr__(self, name: str) -> Any:
        # Reached only when normal lookup fails: say what chainrule has instead of a bare error.
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(missing_attribute("Tensor", name, dir(type(self))))

    # ---- conversion -----------------------------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
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

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``, as in PyTorch.

        Returns the tensor itself when nothing changes; a change between float dtypes stays
        differentiable. The only device is the CPU (``to('cuda')`` says what to write instead).
        """
        target, copy = parse_to_arguments("to", args, kwargs)
        out = self if target is None else self._cast(target)
        return out.clone() if copy and out is self else out

    def _cast(self, dt: np.dtype) -> "Tensor":
        if dt == self._data.dtype:
            return self
        if dt.kind == "f" and self._data.dtype.kind == "f":
            return apply("cast", self, dtype=dt)
        return wrap(self._data.astype(dt))  # to an integer/bool type: no gradient flows

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> "Tensor":
        raise RuntimeError(f"cuda: {GPU_MESSAGE}")

    def type(self, dtype: DTypeLike = None) -> "Tensor | str":
        """With no argument, the type's name (``'chainrule.FloatTensor'``); else ``to(dtype)``."""
        if dtype is None:
            return "chainrule." + _TYPE_NAMES.get(self._data.dtype.name, "Tensor")
        if isinstance(dtype, str) and dtype.split(".")[-1] in _TYPE_NAMES.values():
            names = {v: k for k, v in _TYPE_NAMES.items()}
            dtype = names[dtype.split(".")[-1]]
        return self._cast(to_numpy_dtype(dtype))

    def float(self) -> "Tensor":
        return self._cast(float32.dtype)

    def double(self) -> "Tensor":
        return self._cast(float64.dtype)

    def half(self) -> "Tensor":
        return self._cast(float16.dtype)

    def long(self) -> "Tensor":
        return self._cast(int64.dtype)

    def int(self) -> "Tensor":
        return self._cast(int32.dtype)

    def short(self) -> "Tensor":
        return self._cast(np.dtype("int16"))

    def bool(self) -> "Tensor":
        return self._cast(np.dtype(bool))

    def byte(self) -> "Tensor":
        return self._cast(np.dtype(np.uint8))

    def type_as(self, other: "Tensor") -> "Tensor":
        return self._cast(other._data.dtype)

    def contiguous(self, memory_format: Any = None) -> "Tensor":
        """Return self when already C-contiguous, else a contiguous copy that stays in the graph."""
        return self if self._data.flags.c_contiguous else self.clone()

    def pin_memory(self) -> "Tensor":
        return self

    def share_memory_(self) -> "Tensor":
        return self

    # ---- new tensors of the same dtype ------------------------------------------------------------
    def new_tensor(self, data: Any, dtype: DTypeLike = None, requires_grad: bool = False, **_: Any):
        arr = np.array(
            getattr(data, "_data", data), dtype=to_numpy_dtype(dtype or self._data.dtype)
        )
        return Tensor(arr, requires_grad=requires_grad, dtype=arr.dtype)

    def new_full(self, size: Any, fill_value: Scalar, dtype: DTypeLike = None, **kw: Any):
        dt = to_numpy_dtype(dtype or self._data.dtype)
        arr = np.full(shape_arg("new_full", (size,)), fill_value, dtype=dt)
        return Tensor(arr, requires_grad=kw.get("requires_grad", False), dtype=dt)

    def new_zeros(self, *size: Any, dtype: DTypeLike = None, **kw: Any) -> "Tensor":
        return self.new_full(shape_arg("new_zeros", size), 0, dtype=dtype, **kw)

    def new_ones(self, *size: Any, dtype: DTypeLike = None, **kw: Any) -> "Tensor":
        return self.new_full(shape_arg("new_ones", size), 1, dtype=dtype, **kw)

    def new_empty(self, *size: Any, dtype: DTypeLike = None, **kw: Any) -> "Tensor":
        return self.new_full(shape_arg("new_empty", size), 0, dtype=dtype, **kw)

    # ---- printing -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        extras = []
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return tensor_repr(self._data, repr(self.dtype), extras)

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
        if getattr(self, "__dict__", None):  # attributes a user (or nn.Parameter) set
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    # ---- autograd -------------------------------------------------------------------------------
    def backward(
        self,
        gradient: "Tensor | np.ndarray | None" = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: "Tensor | list[Tensor] | None" = None,
    ) -> None:
        """Compute d(self)/d(leaf) for every leaf with ``requires_grad`` and add it to ``.grad``.

        Rule: each node receives ∂L/∂(its output) and hands ∂L/∂(input) = VJP to its inputs,
        in reverse topological order; gradients from several paths add up. ``create_graph=True``
        records the backward pass too, so ``.grad`` can be differentiated again (then
        ``retain_graph`` defaults to True); ``inputs`` limits which tensors get a ``.grad``.

        >>> x = Tensor(3.0, requires_grad=True)
        >>> (x * x).backward()
        >>> x.grad
        tensor(6.)
        """
        _backward(self, gradient, retain_graph, create_graph=create_graph, inputs=inputs)

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

    def detach_(self) -> "Tensor":
        """Cut this tensor from its graph in place (it becomes a leaf that needs no gradient)."""
        self._node = None
        self._requires_grad = False
        return self

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


def as_tensor(data: Any, dtype: DTypeLike = None, device: Any = None) -> Tensor:
    """Data as a tensor, sharing memory when it can (like ``torch.as_tensor``).

    Unlike ``Tensor(...)`` (always float32) the dtype is inferred: a NumPy array keeps its own,
    Python floats become float32, ints int64, bools bool. A tensor of that dtype comes back as is.

    >>> chainrule.as_tensor([1, 2]).dtype, chainrule.as_tensor(np.zeros(2)).dtype
    (chainrule.int64, chainrule.float64)
    """
    check_device("as_tensor", device)
    if isinstance(data, Tensor) and (dtype is None or data._data.dtype == to_numpy_dtype(dtype)):
        return data
    return wrap(to_array(data, dtype))

"""The dtypes a tensor can have, and how Python data becomes a tensor's array.

A :class:`dtype` is a small object that prints as ``chainrule.float32`` (as ``torch.float32``
does) and wraps the NumPy dtype that holds the values. NumPy accepts it wherever it wants a
dtype (``np.zeros(3, dtype=chainrule.float64)``), because it carries that NumPy dtype in its
``.dtype`` attribute, and it compares equal to it, so ``t.dtype == np.float32`` keeps working.
(PyTorch's dtypes do not compare equal to NumPy's; that is chainrule's one difference here.)
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from chainrule._tensor.base import TensorBase


class dtype:  # noqa: N801 - the name PyTorch users type (torch.dtype)
    """A tensor element type: ``chainrule.float32``, ``chainrule.int64``, ``chainrule.bool``, ...

    >>> chainrule.float32, chainrule.float is chainrule.float32
    (chainrule.float32, True)
    >>> chainrule.float64.is_floating_point, chainrule.int64.itemsize
    (True, 8)
    """

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, numpy_dtype: np.dtype) -> None:
        self.name = name
        self.dtype = numpy_dtype  # what NumPy reads when it is handed this object as a dtype

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "fic"

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def kind(self) -> str:
        """NumPy's kind letter ('f' float, 'i' int, 'u' unsigned, 'b' bool, 'c' complex).

        Not in PyTorch; here so that code written against NumPy dtypes keeps working."""
        return self.dtype.kind

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, dtype):
            return self is other
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __reduce__(self) -> str:
        return self.name  # copy/deepcopy keep the one object per dtype


float16 = dtype("float16", np.dtype("float16"))
float32 = dtype("float32", np.dtype("float32"))
float64 = dtype("float64", np.dtype("float64"))
uint8 = dtype("uint8", np.dtype("uint8"))
int8 = dtype("int8", np.dtype("int8"))
int16 = dtype("int16", np.dtype("int16"))
int32 = dtype("int32", np.dtype("int32"))
int64 = dtype("int64", np.dtype("int64"))
uint16 = dtype("uint16", np.dtype("uint16"))
uint32 = dtype("uint32", np.dtype("uint32"))
uint64 = dtype("uint64", np.dtype("uint64"))
bool_ = dtype("bool", np.dtype("bool"))
complex64 = dtype("complex64", np.dtype("complex64"))
complex128 = dtype("complex128", np.dtype("complex128"))

#: Every dtype, by its NumPy dtype: how a tensor's array answers ``t.dtype``.
BY_NUMPY = {
    d.dtype: d
    for d in (
        float16,
        float32,
        float64,
        uint8,
        int8,
        int16,
        int32,
        int64,
        uint16,
        uint32,
        uint64,
        bool_,
        complex64,
        complex128,
    )
}

#: PyTorch's other names for the same dtypes (``torch.float`` is ``torch.float32``).
ALIASES = {
    "float": float32,
    "double": float64,
    "half": float16,
    "long": int64,
    "int": int32,
    "short": int16,
    "bool": bool_,
    "cfloat": complex64,
    "cdouble": complex128,
}

# The aliases as module names too, for ``from chainrule import half`` (``float``, ``int`` and
# ``bool`` would hide Python's builtins, so only ``chainrule/__init__.py`` sets those).
half, double, long, short = float16, float64, int64, int16
cfloat, cdouble = complex64, complex128

DTypeLike = Union[dtype, np.dtype, type, str, None]


def of_array(arr: np.ndarray) -> dtype:
    """The chainrule dtype of a NumPy array (``float32`` for an array of np.float32)."""
    try:
        return BY_NUMPY[arr.dtype]
    except KeyError:
        raise TypeError(f"chainrule has no dtype for NumPy's {arr.dtype}") from None


def to_numpy_dtype(d: Any) -> np.dtype:
    """Accept ``chainrule.float32``, ``np.float32``, ``'float32'`` or ``float`` alike."""
    if isinstance(d, dtype):
        return d.dtype
    if d is float:
        return float32.dtype  # torch: the Python type float means the default float dtype
    if d is int:
        return int64.dtype
    try:
        return np.dtype(d)
    except TypeError:
        raise TypeError(
            f"not a dtype: {d!r} (use chainrule.float32, chainrule.int64, ...)"
        ) from None


def default_dtype(arr: np.ndarray) -> np.ndarray:
    """Python data gets PyTorch's defaults: floats -> float32, ints -> int64, bools stay."""
    kind = arr.dtype.kind
    if kind == "f" and arr.dtype != float32.dtype:
        return arr.astype(float32.dtype)
    if kind in "iu" and arr.dtype != int64.dtype:
        return arr.astype(int64.dtype)
    return arr


def to_array(data: Any, dtype: DTypeLike = None) -> np.ndarray:
    """The array a new tensor holds: a NumPy array keeps its dtype (no copy if it matches),
    Python data gets PyTorch's default dtypes, anything else is refused by name."""
    if isinstance(data, TensorBase):
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
            arr = default_dtype(arr)
    if dtype is not None:
        dt = to_numpy_dtype(dtype)
        if arr.dtype != dt:
            arr = arr.astype(dt)
    elif arr.dtype not in BY_NUMPY:
        raise TypeError(f"Tensor: chainrule has no dtype for NumPy's {arr.dtype}")
    return arr

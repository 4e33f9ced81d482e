"""The dtypes a tensor can have, and how Python data becomes a tensor's array."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from chainrule._tensor.base import TensorBase

# dtype aliases, so ``chainrule.float64`` reads like ``torch.float64``. They are NumPy dtypes.
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")

DTypeLike = Union[np.dtype, type, str, None]


def default_dtype(arr: np.ndarray) -> np.ndarray:
    """Python data gets PyTorch's defaults: floats -> float32, ints -> int64, bools stay."""
    kind = arr.dtype.kind
    if kind == "f" and arr.dtype != float32:
        return arr.astype(float32)
    if kind in "iu" and arr.dtype != int64:
        return arr.astype(int64)
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
        dt = np.dtype(dtype)
        if arr.dtype != dt:
            arr = arr.astype(dt)
    return arr

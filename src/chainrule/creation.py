"""Creating tensors: ``zeros``, ``ones``, ``full``, ``arange``, ``randn``, ``rand``, ``tensor``.

Sizes are given as ``zeros(2, 3)`` or ``zeros((2, 3))``, and floats default to float32, as in
PyTorch. All random numbers come from one global ``numpy.random.Generator``; ``manual_seed(n)``
replaces it, so a seeded script is reproducible (it lives in ``chainrule.random``;
``nn.init`` and ``dropout`` draw from it too).

>>> _ = manual_seed(0)
>>> randn(2, 3).shape, randn(2, 3).dtype
((2, 3), dtype('float32'))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import random as _random
from chainrule._tensor import DTypeLike, Tensor, float32, int64
from chainrule._tensor.dispatch import shape_arg
from chainrule._tensor.dtypes import to_array

# One seed and one generator for the whole engine; these are its public names.
from chainrule.random import generator as get_generator
from chainrule.random import manual_seed

__all__ = [
    "tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "full_like",
    "arange",
    "randn",
    "rand",
    "randn_like",
    "randint",
    "manual_seed",
    "get_generator",
]


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    return float32 if dtype is None else np.dtype(dtype)


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Build a tensor from data, always copying it (like ``torch.tensor``).

    >>> tensor([1, 2]).dtype, tensor([1.0, 2.0]).dtype
    (dtype('int64'), dtype('float32'))
    """
    return _finish(np.array(to_array(data, dtype), copy=True), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap a NumPy array without copying; the tensor and the array share memory."""
    return Tensor(array)


def zeros(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise).

    >>> zeros(2, 3).shape == zeros((2, 3)).shape == (2, 3)
    True
    """
    return _finish(np.zeros(shape_arg("zeros", size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return _finish(np.ones(shape_arg("ones", size), dtype=_float_dtype(dtype)), requires_grad)


def full(
    size: Any, fill_value: Any, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value (float -> float32).

    >>> full((2,), 7)
    tensor([7, 7])
    """
    shape = shape_arg("full", (size,) if isinstance(size, (tuple, list)) else (size,))
    if dtype is None:
        dtype = np.asarray(to_array(fill_value)).dtype
    return _finish(np.full(shape, fill_value, dtype=np.dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape and dtype."""
    dt = t.dtype if dtype is None else np.dtype(dtype)
    return _finish(np.zeros(t.shape, dtype=dt), requires_grad)


def ones_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape and dtype."""
    dt = t.dtype if dtype is None else np.dtype(dtype)
    return _finish(np.ones(t.shape, dtype=dt), requires_grad)


def full_like(
    t: Tensor, fill_value: Any, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` everywhere, with ``t``'s shape and dtype."""
    dt = t.dtype if dtype is None else np.dtype(dtype)
    return _finish(np.full(t.shape, fill_value, dtype=dt), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``: int64 for ints, float32 otherwise.

    >>> arange(3), arange(0.0, 1.0, 0.5)
    (tensor([0, 1, 2]), tensor([0.0000, 0.5000]))
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        all_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = int64 if all_int else float32
    return _finish(np.arange(start, end, step).astype(np.dtype(dtype)), requires_grad)


def randn(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Samples from N(0, 1), float32 by default, from the global generator."""
    arr = _random.generator().standard_normal(shape_arg("randn", size), dtype=_float_dtype(dtype))
    return _finish(arr, requires_grad)


def rand(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Samples from U[0, 1), float32 by default, from the global generator."""
    arr = _random.generator().random(shape_arg("rand", size), dtype=_float_dtype(dtype))
    return _finish(arr, requires_grad)


def randn_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """N(0, 1) samples with ``t``'s shape (and dtype)."""
    return randn(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: DTypeLike = None) -> Tensor:
    """Random integers in [low, high) (int64), from the global generator."""
    if high is None:
        low, high = 0, low
    shape = shape_arg("randint", (size,) if isinstance(size, (tuple, list)) else (size,))
    dt = int64 if dtype is None else np.dtype(dtype)
    return Tensor(_random.generator().integers(low, high, size=shape, dtype=dt))

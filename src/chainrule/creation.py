"""Creating tensors: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``linspace``, ``eye``,
``rand``/``randn``/``randint``/``randperm``/``normal`` and their ``_like`` forms.

Signatures and defaults are PyTorch's: sizes as ``zeros(2, 3)`` or ``zeros((2, 3))``; floats
default to float32 and Python ints to int64; every function takes ``dtype=``, ``device=`` (only
the CPU) and ``requires_grad=``; the random ones take ``generator=``. All random numbers come
from one global ``numpy.random.Generator``; ``manual_seed(n)`` replaces it (see
``chainrule.random``), so a seeded script is reproducible (NumPy's streams, not torch's).

>>> _ = manual_seed(0)
>>> randn(2, 3).shape, randn(2, 3).dtype
(chainrule.Size([2, 3]), chainrule.float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import random as _random
from chainrule._tensor import DTypeLike, Tensor, as_tensor, float32, int64
from chainrule._tensor.device import check_device
from chainrule._tensor.dispatch import shape_arg, wrap
from chainrule._tensor.dtypes import to_array, to_numpy_dtype

# One seed and one generator for the whole engine; these are its public names.
from chainrule.random import Generator, manual_seed, seed
from chainrule.random import generator as get_generator

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "arange",
    "linspace",
    "logspace",
    "eye",
    "randn",
    "rand",
    "randint",
    "randperm",
    "normal",
    "randn_like",
    "rand_like",
    "randint_like",
    "manual_seed",
    "seed",
    "Generator",
    "get_generator",
]


def _finish(arr: np.ndarray, requires_grad: bool, device: Any = None, where: str = "") -> Tensor:
    check_device(where or "tensor", device)
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dtype_or(dtype: DTypeLike, default: Any) -> np.dtype:
    return to_numpy_dtype(default) if dtype is None else to_numpy_dtype(dtype)


def _size(op: str, size: tuple) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(torch.Size([2, 3]))`` alike."""
    return shape_arg(op, size)


def tensor(
    data: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False, **_: Any
) -> Tensor:
    """Build a tensor from data, always copying it, with the dtype inferred (``torch.tensor``).

    >>> tensor([1, 2]).dtype, tensor([1.0, 2.0]).dtype
    (chainrule.int64, chainrule.float32)
    """
    if isinstance(data, Tensor):
        data = data._data
    return _finish(np.array(to_array(data, dtype), copy=True), requires_grad, device, "tensor")


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap a NumPy array without copying; the tensor and the array share memory."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    return wrap(to_array(array))


def zeros(
    *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False, **_: Any
) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise).

    >>> zeros(2, 3).shape == zeros((2, 3)).shape == (2, 3)
    True
    """
    arr = np.zeros(_size("zeros", size), dtype=_dtype_or(dtype, float32))
    return _finish(arr, requires_grad, device, "zeros")


def ones(
    *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False, **_: Any
) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    arr = np.ones(_size("ones", size), dtype=_dtype_or(dtype, float32))
    return _finish(arr, requires_grad, device, "ones")


def empty(
    *size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False, **_: Any
) -> Tensor:
    """A tensor whose values you will overwrite (chainrule fills it with zeros, torch leaves it)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(
    size: Any,
    fill_value: Any,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **_: Any,
) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value (float -> float32).

    >>> full((2,), 7)
    tensor([7, 7])
    """
    shape = _size("full", (size,) if isinstance(size, (tuple, list)) else (size,))
    if dtype is None:
        dtype = to_array(getattr(fill_value, "_data", fill_value)).dtype
    arr = np.full(shape, getattr(fill_value, "_data", fill_value), dtype=to_numpy_dtype(dtype))
    return _finish(arr, requires_grad, device, "full")


def _like(t: Any, dtype: DTypeLike) -> tuple[tuple[int, ...], np.dtype]:
    arr = getattr(t, "_data", None)
    if arr is None:
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return arr.shape, (arr.dtype if dtype is None else to_numpy_dtype(dtype))


def zeros_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, **kw: Any):
    """Zeros with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    return _finish(np.zeros(shape, dtype=dt), requires_grad, kw.get("device"), "zeros_like")


def ones_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, **kw: Any):
    """Ones with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    return _finish(np.ones(shape, dtype=dt), requires_grad, kw.get("device"), "ones_like")


def empty_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, **kw: Any):
    """Like :func:`zeros_like` (chainrule fills the values; torch leaves them)."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad, **kw)


def full_like(
    t: Tensor, fill_value: Any, dtype: DTypeLike = None, requires_grad: bool = False, **kw: Any
) -> Tensor:
    """``fill_value`` everywhere, with ``t``'s shape and dtype."""
    shape, dt = _like(t, dtype)
    arr = np.full(shape, fill_value, dtype=dt)
    return _finish(arr, requires_grad, kw.get("device"), "full_like")


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **_: Any,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``: int64 for ints, float32 otherwise.

    >>> arange(3), arange(0.0, 1.0, 0.5)
    (tensor([0, 1, 2]), tensor([0.0000, 0.5000]))
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        all_int = all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (start, end, step)
        )
        dtype = int64 if all_int else float32
    # torch counts ceil((end - start) / step) values, computed in double precision
    n = max(int(np.ceil((float(end) - float(start)) / float(step))), 0)
    arr = (start + step * np.arange(n, dtype=np.float64)).astype(to_numpy_dtype(dtype))
    if to_numpy_dtype(dtype).kind in "iu":
        arr = start + step * np.arange(n, dtype=np.int64)
        arr = arr.astype(to_numpy_dtype(dtype))
    return _finish(arr, requires_grad, device, "arange")


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **_: Any,
) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end`` inclusive (float32 by default).

    >>> linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be a non-negative int, got {steps!r}")
    arr = np.linspace(float(start), float(end), int(steps)).astype(_dtype_or(dtype, float32))
    return _finish(arr, requires_grad, device, "linspace")


def logspace(
    start: float, end: float, steps: int, base: float = 10.0, dtype: DTypeLike = None, **kw: Any
) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    arr = np.power(float(base), np.linspace(float(start), float(end), int(steps)))
    return _finish(arr.astype(_dtype_or(dtype, float32)), kw.get("requires_grad", False))


def eye(
    n: int,
    m: int | None = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **_: Any,
) -> Tensor:
    """The (n, m) identity matrix (m defaults to n)."""
    arr = np.eye(n, n if m is None else m, dtype=_dtype_or(dtype, float32))
    return _finish(arr, requires_grad, device, "eye")


# ---- random -----------------------------------------------------------------------------------
def randn(
    *size: Any,
    generator: Any = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **_: Any,
) -> Tensor:
    """Samples from N(0, 1), float32 by default, from the global generator."""
    dt = _dtype_or(dtype, float32)
    arr = (
        _random.numpy_generator(generator)
        .standard_normal(_size("randn", size))
        .astype(dt, copy=False)
    )
    return _finish(arr, requires_grad, device, "randn")


def rand(
    *size: Any,
    generator: Any = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **_: Any,
) -> Tensor:
    """Samples from U[0, 1), float32 by default, from the global generator."""
    dt = _dtype_or(dtype, float32)
    arr = _random.numpy_generator(generator).random(_size("rand", size)).astype(dt, copy=False)
    return _finish(arr, requires_grad, device, "rand")


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    generator: Any = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **_: Any,
) -> Tensor:
    """Random integers in [low, high) (int64): ``randint(10, (3,))`` or ``randint(0, 10, (3,))``."""
    if size is None:  # randint(high, size)
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    shape = _size("randint", (size,) if isinstance(size, (tuple, list)) else (size,))
    dt = _dtype_or(dtype, int64)
    arr = _random.numpy_generator(generator).integers(low, high, size=shape).astype(dt)
    return _finish(arr, requires_grad, device, "randint")


def randperm(
    n: int, generator: Any = None, dtype: DTypeLike = None, device: Any = None, **_: Any
) -> Tensor:
    """A random ordering of 0..n-1 (int64)."""
    arr = _random.numpy_generator(generator).permutation(int(n)).astype(_dtype_or(dtype, int64))
    return _finish(arr, False, device, "randperm")


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    generator: Any = None,
    dtype: DTypeLike = None,
    **kw: Any,
) -> Tensor:
    """Samples from N(mean, std²): tensors of means/stds (broadcast), or floats with ``size``."""
    m = getattr(mean, "_data", mean)
    s = getattr(std, "_data", std)
    if size is not None:
        shape = _size("normal", (size,) if isinstance(size, (tuple, list)) else (size,))
    else:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal: std must be >= 0")
    like = next((a.dtype for a in (m, s) if isinstance(a, np.ndarray)), float32.dtype)
    dt = like if dtype is None else to_numpy_dtype(dtype)
    arr = (m + s * _random.numpy_generator(generator).standard_normal(shape)).astype(dt)
    return _finish(np.asarray(arr), kw.get("requires_grad", False), kw.get("device"), "normal")


def randn_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, **kw: Any):
    """N(0, 1) samples with ``t``'s shape (and dtype)."""
    shape, dt = _like(t, dtype)
    return randn(shape, dtype=dt, requires_grad=requires_grad, **kw)


def rand_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False, **kw: Any):
    """U[0, 1) samples with ``t``'s shape (and dtype)."""
    shape, dt = _like(t, dtype)
    return rand(shape, dtype=dt, requires_grad=requires_grad, **kw)


def randint_like(t: Tensor, low: int, high: int | None = None, dtype: DTypeLike = None, **kw):
    """Random integers with ``t``'s shape (and dtype)."""
    shape, dt = _like(t, dtype)
    return randint(low, high, shape, dtype=dt, **kw)

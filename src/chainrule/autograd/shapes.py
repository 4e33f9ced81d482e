"""Shape helpers every rule shares: undoing broadcasting, checking dims, naming bad shapes.

Broadcasting is undone in exactly one place, :func:`unbroadcast`, which the backward pass calls
for every rule registered with ``broadcasts=True``; no rule sums its gradient down itself.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

Shape = tuple[int, ...]

__all__ = ["Shape", "unbroadcast", "normalize_dim", "normalize_dims", "broadcast_error"]


def unbroadcast(grad: np.ndarray, shape: Shape) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    Rule: if x of shape ``shape`` was broadcast to y, then dL/dx = dL/dy summed over the
    dimensions broadcasting added (leading ones) or stretched (size 1 in ``shape``).

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    if grad.shape == shape:  # the common case, free
        return grad
    lead = grad.ndim - len(shape)
    if lead > 0:  # dims broadcasting prepended: sum them away
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:  # dims that were size 1 and got stretched: sum, keeping them as size 1
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def normalize_dim(op: str, dim: int, ndim: int) -> int:
    """Map a possibly negative ``dim`` into ``range(ndim)``, naming the op when it is invalid.

    >>> normalize_dim("sum", -1, 2)
    1
    """
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    top = max(ndim, 1)  # a 0-d tensor accepts dim 0 / -1, as in PyTorch
    if not -top <= dim < top:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims")
    return int(dim) % top if ndim else 0


def normalize_dims(
    op: str, dim: "int | Sequence[int] | None", ndim: int
) -> "tuple[int, ...] | None":
    """Normalise ``dim`` (None, an int, or a tuple of ints) to a sorted tuple, or None for all."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = sorted({normalize_dim(op, d, ndim) for d in dims})
    if len(out) != len(dims):
        raise ShapeError(f"{op}: dim {dim} repeats a dimension")
    if ndim == 0:
        return ()
    return tuple(out)


class ShapeError(ValueError, RuntimeError):
    """A shape that does not fit the op. PyTorch raises RuntimeError here; chainrule's is both,
    so ``except RuntimeError`` (PyTorch code) and ``except ValueError`` (NumPy habits) catch it."""


class DTypeError(TypeError, RuntimeError):
    """A dtype the op cannot take: a RuntimeError as in PyTorch, and still a TypeError."""


def broadcast_error(op: str, *arrays: Any) -> ValueError:
    """The error for operands whose shapes do not broadcast, e.g. ``add: shapes (2, 3) and (4,)``."""
    shapes = " and ".join(str(np.shape(a)) for a in arrays)
    return ShapeError(f"{op}: shapes {shapes} cannot be broadcast")

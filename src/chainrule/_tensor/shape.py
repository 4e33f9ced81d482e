"""Shape and movement: ``reshape``/``view``, ``permute``/``transpose``, ``squeeze``/``unsqueeze``,
``expand``, indexing (``x[i]``, ``gather``) and ``clone``.

None of these changes a value, so each VJP only moves ``g`` back into the input's shape.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from chainrule._tensor.dispatch import apply, index_arg, shape_arg
from chainrule.autograd.shapes import normalize_dim, normalize_dims

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor


class ShapeMethods:
    __slots__ = ()

    def reshape(self, *shape: Any) -> "Tensor":
        """Return the same elements in a new shape (one size may be -1).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1).shape
        (2, 2)
        """
        return apply("reshape", self, shape=shape_arg("reshape", shape))

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
        return apply("permute", self, dims=shape_arg("permute", dims))

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
        return apply("expand", self, shape=shape_arg("expand", sizes))

    def gather(self, dim: int, index: "Tensor | np.ndarray") -> "Tensor":
        """Pick ``out[i][j] = self[i][index[i][j]]`` along ``dim`` (torch.gather, for dim=1)."""
        return apply("gather", self, index_arg(index), dim=dim)

    def __getitem__(self, index: Any) -> "Tensor":
        """Index like NumPy: ints, slices, None, ..., integer arrays/tensors, boolean masks.

        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> x[[0, 0, 2]].sum().backward(); x.grad
        tensor([2., 0., 1.])
        """
        return apply("getitem", self, index=index_arg(index))

    def clone(self) -> "Tensor":
        """Return a copy that stays in the graph (gradient flows back unchanged)."""
        return apply("clone", self)

"""Shape and movement: ``reshape``/``view``, ``permute``/``transpose``/``t``, ``squeeze``/
``unsqueeze``, ``expand``/``repeat``, ``flip``, splitting (``chunk``, ``split``, ``unbind``),
indexing (``x[i]``, ``gather``, ``index_select``, ``masked_fill``, ``scatter``), ``tril``/``triu``
and ``clone``.

None of these changes a value, so each VJP only moves ``g`` back into the input's shape.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from chainrule._tensor.dispatch import apply, coerce, index_arg, labelled, operand, shape_arg, wrap
from chainrule.autograd.shapes import normalize_dim, normalize_dims

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor


class ShapeMethods:
    __slots__ = ()

    def reshape(self, *shape: Any) -> "Tensor":
        """Return the same elements in a new shape (one size may be -1).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1).shape
        chainrule.Size([2, 2])
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
        return labelled(self.permute(*order), "TransposeBackward0")

    swapaxes = transpose
    swapdims = transpose

    def t(self) -> "Tensor":
        """The transpose of a matrix (a 0-D or 1-D tensor comes back as it is), as ``torch.t``."""
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D "
                f"(use transpose(dim0, dim1) or .mT)"
            )
        return labelled(self.transpose(0, 1), "TBackward0") if self.ndim == 2 else self

    def movedim(self, source: Any, destination: Any) -> "Tensor":
        """Move dims ``source`` to positions ``destination``; the others keep their order."""
        src = [normalize_dim("movedim", d, self.ndim) for d in np.atleast_1d(source).tolist()]
        dst = [normalize_dim("movedim", d, self.ndim) for d in np.atleast_1d(destination).tolist()]
        if len(src) != len(dst):
            raise RuntimeError("movedim: Invalid source or destination dims: lengths differ")
        order: list[int | None] = [None] * self.ndim
        for s, d in zip(src, dst):
            order[d] = s
        rest = iter(i for i in range(self.ndim) if i not in src)
        return self.permute(*[next(rest) if o is None else o for o in order])

    moveaxis = movedim

    def unsqueeze(self, dim: int) -> "Tensor":
        """Insert a size-1 dim at ``dim``."""
        d = normalize_dim("unsqueeze", dim, self.ndim + 1)
        shape = self.shape
        return labelled(self.reshape(shape[:d] + (1,) + shape[d:]), "UnsqueezeBackward0")

    def unflatten(self, dim: int, sizes: Sequence[int]) -> "Tensor":
        """Split dim ``dim`` into ``sizes`` (one may be -1): the inverse of ``flatten``."""
        d = normalize_dim("unflatten", dim, self.ndim)
        shape = tuple(self.shape)
        inner = np.empty(shape[d], dtype=np.int8).reshape(tuple(sizes)).shape
        return self.reshape(shape[:d] + inner + shape[d + 1 :])

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.view(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def broadcast_to(self, size: Any) -> "Tensor":
        return self.expand(size)

    def flip(self, *dims: Any) -> "Tensor":
        """Reverse the order along ``dims``."""
        return apply("flip", self, dims=shape_arg("flip", dims))

    def fliplr(self) -> "Tensor":
        return self.flip(1)

    def flipud(self) -> "Tensor":
        return self.flip(0)

    def roll(self, shifts: Any, dims: Any = None) -> "Tensor":
        """Shift elements cyclically along ``dims`` (the flattened tensor when None)."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        out = self
        for k, d in zip(shifts, dims):
            d = normalize_dim("roll", d, self.ndim)
            n = self.shape[d]
            if n and k % n:
                k %= n
                out = apply("cat", out.narrow(d, n - k, k), out.narrow(d, 0, n - k), dim=d)
        return out

    def repeat(self, *sizes: Any) -> "Tensor":
        """Tile the tensor ``sizes[i]`` times along dim i (torch's ``repeat`` is NumPy's tile)."""
        return apply("repeat", self, repeats=shape_arg("repeat", sizes))

    def tile(self, *dims: Any) -> "Tensor":
        """Like ``repeat``, but fewer sizes than dims is fine (leading 1s are implied)."""
        reps = shape_arg("tile", dims)
        return self.repeat((1,) * (self.ndim - len(reps)) + reps)

    def repeat_interleave(self, repeats: int, dim: int | None = None) -> "Tensor":
        """Repeat each element ``repeats`` times along ``dim`` (the flattened tensor if None)."""
        if dim is None:
            return self.flatten().repeat_interleave(repeats, 0)
        d = normalize_dim("repeat_interleave", dim, self.ndim)
        idx = np.repeat(np.arange(self.shape[d]), int(repeats))
        return self.index_select(d, idx)

    # ---- splitting into pieces ------------------------------------------------------------------
    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        """``length`` elements from ``start`` along ``dim`` (a slice)."""
        d = normalize_dim("narrow", dim, self.ndim)
        n = self.shape[d]
        start = start + n if start < 0 else start
        if not (0 <= start <= n and 0 <= length <= n - start):
            raise IndexError(
                f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n})"
            )
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def select(self, dim: int, index: int) -> "Tensor":
        """``x[..., index, ...]`` at dim ``dim`` (that dim disappears)."""
        d = normalize_dim("select", dim, self.ndim)
        return self[(slice(None),) * d + (int(index),)]

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple["Tensor", ...]:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
        d = normalize_dim("split", dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            size = int(split_size_or_sections)
            if size <= 0 and n:
                raise RuntimeError(f"split: split_size must be positive, got {size}")
            sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
        else:
            sizes = [int(k) for k in split_size_or_sections]
            if sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {dim}), but got split_sizes={sizes}"
                )
        starts = np.cumsum([0] + sizes[:-1]).tolist()
        return tuple(self.narrow(d, s, k) for s, k in zip(starts, sizes))

    def chunk(self, chunks: int, dim: int = 0) -> tuple["Tensor", ...]:
        """Split into ``chunks`` pieces of ceil(n / chunks) (fewer when they do not divide)."""
        if chunks <= 0:
            raise RuntimeError(f"chunk: chunks must be greater than 0, got {chunks}")
        d = normalize_dim("chunk", dim, self.ndim)
        return self.split(max(1, -(-self.shape[d] // chunks)), d)

    def tensor_split(self, sections: Any, dim: int = 0) -> tuple["Tensor", ...]:
        """``sections`` pieces as equal as possible (NumPy's array_split), or cut at indices."""
        d = normalize_dim("tensor_split", dim, self.ndim)
        n = self.shape[d]
        if isinstance(sections, (int, np.integer)):
            q, r = divmod(n, int(sections))
            sizes = [q + 1] * r + [q] * (int(sections) - r)
        else:
            cuts = [0] + [min(max(int(i), 0), n) for i in sections] + [n]
            sizes = [max(b - a, 0) for a, b in zip(cuts, cuts[1:])]
        starts = np.cumsum([0] + sizes[:-1]).tolist()
        return tuple(self.narrow(d, s, k) for s, k in zip(starts, sizes))

    def unbind(self, dim: int = 0) -> tuple["Tensor", ...]:
        """The slices along ``dim``, each without that dim."""
        d = normalize_dim("unbind", dim, self.ndim)
        return tuple(self.select(d, i) for i in range(self.shape[d]))

    def squeeze(self, dim: int | Sequence[int] | None = None) -> "Tensor":
        """Drop size-1 dims (all of them, or those in ``dim`` that have size 1)."""
        shape = self.shape
        if dim is None:
            drop = {i for i, n in enumerate(shape) if n == 1}
        else:
            drop = {d for d in (normalize_dims("squeeze", dim, self.ndim) or ()) if shape[d] == 1}
        if not drop:
            return self
        out = self.reshape(tuple(n for i, n in enumerate(shape) if i not in drop))
        return labelled(out, "SqueezeBackward0" if dim is None else "SqueezeBackward1")

    def expand(self, *sizes: Any) -> "Tensor":
        """Broadcast to ``sizes`` without copying (-1 keeps a dim); the VJP sums the copies."""
        return apply("expand", self, shape=shape_arg("expand", sizes))

    def gather(self, dim: int, index: "Tensor | np.ndarray") -> "Tensor":
        """Pick ``out[i][j] = self[i][index[i][j]]`` along ``dim`` (torch.gather, for dim=1)."""
        return apply("gather", self, index_arg(index), dim=dim)

    def index_select(self, dim: int, index: Any) -> "Tensor":
        """The entries ``index`` (a 1-D integer tensor) along ``dim``."""
        d = normalize_dim("index_select", dim, self.ndim)
        idx = np.asarray(index_arg(index))
        if idx.ndim > 1 or idx.dtype.kind not in "iu":
            raise IndexError("index_select: index must be a 1-D integer tensor")
        return self[(slice(None),) * d + (idx.reshape(-1),)]

    def take(self, index: Any) -> "Tensor":
        """Elements of the flattened tensor at ``index``; the result has the index's shape."""
        return self.reshape(-1)[index_arg(index)]

    def masked_fill(self, mask: Any, value: Any) -> "Tensor":
        """``value`` where ``mask`` is True (broadcast), the tensor elsewhere; no gradient there."""
        m = np.asarray(index_arg(mask))
        if m.dtype != bool:
            raise RuntimeError(f"masked_fill: expected a bool mask, got {m.dtype}")
        v = operand(value)
        if v is NotImplemented or getattr(v, "ndim", 0) != 0:
            raise RuntimeError("masked_fill: value must be a number or a 0-dim tensor")
        return apply("where", m, v, self).to(self.dtype)

    def where(self, condition: Any, other: Any) -> "Tensor":
        """``self`` where ``condition``, ``other`` elsewhere (``torch.where(condition, self, other)``)."""
        cond = np.asarray(index_arg(condition)).astype(bool, copy=False)
        return apply("where", cond, self, coerce(other))

    def scatter(
        self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None
    ) -> "Tensor":
        """A copy with ``out[index[i][j]][j] = src[i][j]`` along ``dim`` (as torch.scatter)."""
        source = value if src is None else src
        if source is None:
            raise TypeError("scatter: pass src (a tensor) or value (a number)")
        mode = {None: "none", "add": "add"}.get(reduce)
        if mode is None:
            raise NotImplementedError(f"scatter: reduce={reduce!r} (only 'add' or None)")
        return apply("scatter", self, index_arg(index), coerce(source), dim=dim, reduce=mode)

    def scatter_add(self, dim: int, index: Any, src: "Tensor") -> "Tensor":
        """A copy with ``src`` added at ``index`` along ``dim`` (repeated indices add up)."""
        return self.scatter(dim, index, src, reduce="add")

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
        where = np.nonzero(self._data) if self.ndim else np.nonzero(self._data.reshape(1))
        if as_tuple:
            return tuple(wrap(w.astype(np.int64)) for w in where)
        return wrap(
            np.stack(where, axis=1).astype(np.int64) if where else np.zeros((0, 0), np.int64)
        )

    def argwhere(self) -> "Tensor":
        return self.nonzero()

    def tril(self, diagonal: int = 0) -> "Tensor":
        """Zero above the ``diagonal``-th diagonal (the lower triangle stays)."""
        return self._triangle(np.tril, diagonal)

    def triu(self, diagonal: int = 0) -> "Tensor":
        """Zero below the ``diagonal``-th diagonal (the upper triangle stays)."""
        return self._triangle(np.triu, diagonal)

    def _triangle(self, part: Any, diagonal: int) -> "Tensor":
        if self.ndim < 2:
            raise RuntimeError("tril/triu: input tensor must have at least 2 dimensions")
        keep = part(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return apply("where", keep, self, 0).to(self.dtype)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> "Tensor":
        """The diagonal of the (dim1, dim2) matrices, moved to the last dim."""
        x = self.movedim((dim1, dim2), (-2, -1))
        n, m = x.shape[-2], x.shape[-1]
        rows = np.arange(max(0, -offset), min(n, m - offset)) if n and m else np.arange(0)
        return x[..., rows, rows + offset]

    def diag(self, diagonal: int = 0) -> "Tensor":
        """A 1-D tensor's diagonal matrix, or a matrix's diagonal."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise RuntimeError("diag: matrix or a vector expected")
        n = self.shape[0] + abs(diagonal)
        rows = np.arange(self.shape[0]) + max(0, -diagonal)
        out_index = rows * n + rows + diagonal
        flat = apply("scatter", np.zeros(n * n, dtype=self._data.dtype), out_index, self, dim=0)
        return flat.reshape(n, n)

    def trace(self) -> "Tensor":
        """Σ of the main diagonal of a matrix."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return self.diagonal().sum()

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

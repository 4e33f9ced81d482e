"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset`` and ``random_split``, as in ``torch.utils.data``.

A dataset is anything with ``__getitem__(i)`` and ``__len__()``. Datasets that hold whole
arrays also offer ``get_batch(indices)``, which the :class:`~chainrule.data.DataLoader` uses to
build a batch with one fancy index per array instead of ``batch_size`` calls to ``__getitem__``.

>>> import numpy as np
>>> ds = TensorDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.array([0, 1, 0, 1, 1]))
>>> x, y = ds[1]
>>> x, y
(tensor([2., 3.]), tensor(1))
>>> train, val = random_split(ds, [0.8, 0.2], seed=0)
>>> len(train), len(val)
(4, 1)
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Generic, Sequence, TypeVar

import numpy as np

from chainrule._tensor import Tensor, as_tensor
from chainrule.data.collate import default_collate
from chainrule.random import generator as global_generator

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]

T_co = TypeVar("T_co", covariant=True)
Batch = tuple[Tensor, ...]


class Dataset(Generic[T_co]):
    """Base class for map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return i * i
    >>> [Squares()[i] for i in range(4)]
    [0, 1, 4, 9]
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


def _as_array(t: Any) -> np.ndarray:
    """The ndarray behind a Tensor, or ``np.asarray`` of anything else (no copy for arrays)."""
    return t.numpy() if isinstance(t, Tensor) else np.asarray(t)


class TensorDataset(Dataset[Batch]):
    """Samples are rows: item ``i`` is ``(t[i] for t in tensors)``; all must share their first dim.

    Accepts Tensors or NumPy arrays (wrapped without a copy). ``get_batch(idx)`` returns
    ``tuple(Tensor(a[idx]) for a in arrays)``: one fancy index per array, the loader's fast path.

    >>> ds = TensorDataset(np.zeros((3, 784), np.float32), np.array([4, 1, 9]))
    >>> len(ds), [t.shape for t in ds.get_batch(np.array([2, 0]))]
    (3, [chainrule.Size([2, 784]), chainrule.Size([2])])
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        arrays = [_as_array(t) for t in tensors]
        if any(a.ndim == 0 for a in arrays):
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"TensorDataset: every tensor needs a first (sample) dimension; got shapes {shapes}"
            )
        if len({a.shape[0] for a in arrays}) > 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"TensorDataset: size mismatch in the first dimension: shapes {shapes}"
            )
        self.arrays: tuple[np.ndarray, ...] = tuple(arrays)
        self.tensors: tuple[Tensor, ...] = tuple(
            t if isinstance(t, Tensor) else Tensor(a) for t, a in zip(tensors, arrays)
        )

    def __getitem__(self, index: int) -> Batch:
        return tuple(as_tensor(np.asarray(a[index])) for a in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def get_batch(self, indices: np.ndarray) -> Batch:
        """Return the samples at ``indices`` already stacked: ``(Tensor(a[indices]), ...)``."""
        return tuple(as_tensor(a[indices]) for a in self.arrays)


class Subset(Dataset[T_co]):
    """The items of ``dataset`` at ``indices``, in that order: ``subset[i] = dataset[indices[i]]``.

    >>> sub = Subset(TensorDataset(np.arange(5)), [4, 0])
    >>> len(sub), sub[0]
    (2, (tensor(4),))
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices: np.ndarray = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __getitem__(self, index: int) -> T_co:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def get_batch(self, indices: np.ndarray) -> Any:
        """Return the batch at ``indices``: one ``get_batch`` on the wrapped dataset when it has one."""
        inner = getattr(self.dataset, "get_batch", None)
        if inner is not None:
            return inner(self.indices[indices])  # compose the index maps: still one fancy index
        return default_collate([self.dataset[int(i)] for i in self.indices[indices]])


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """Turn ``lengths`` (counts summing to n, or fractions summing to 1) into counts.

    Fractions follow torch: ``floor(f * n)`` each, then the leftover items go one at a time
    to the splits in order (round robin), so [0.5, 0.5] of 7 gives [4, 3].
    """
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in lengths):
        counts = [int(k) for k in lengths]
        if any(k < 0 for k in counts):
            raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
        if sum(counts) != n:
            raise ValueError(
                f"random_split: lengths {counts} sum to {sum(counts)}, but the dataset has {n} items"
            )
        return counts
    fractions = [float(f) for f in lengths]
    if any(not 0.0 <= f <= 1.0 for f in fractions) or not math.isclose(
        sum(fractions), 1.0, abs_tol=1e-9
    ):
        raise ValueError(
            f"random_split: fractions must lie in [0, 1] and sum to 1, got {list(lengths)} (sum {sum(fractions)})"
        )
    counts = [math.floor(f * n) for f in fractions]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, k in enumerate(counts):
        if k == 0:
            warnings.warn(
                f"random_split: split {i} is empty ({fractions[i]} of {n} items)", stacklevel=3
            )
    return counts


def random_split(
    dataset: Dataset[T_co],
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
    *,
    seed: int | None = None,
) -> list[Subset[T_co]]:
    """Shuffle ``range(len(dataset))`` once and cut it into consecutive ``Subset``s of ``lengths``.

    ``lengths`` are item counts summing to ``len(dataset)`` or fractions summing to 1 (rounded as
    torch does). Randomness comes from ``generator``, else ``numpy.random.default_rng(seed)``, else
    chainrule's global generator (``chainrule.random.manual_seed``). Differs from PyTorch: NumPy
    streams, so the same seed picks different items than torch does.

    >>> a, b = random_split(TensorDataset(np.arange(10)), [7, 3], seed=0)
    >>> len(a), len(b), sorted(np.concatenate([a.indices, b.indices])) == list(range(10))
    (7, 3, True)
    """
    rng = _resolve_generator(generator, seed)
    counts = _split_lengths(len(dataset), lengths)
    order = rng.permutation(len(dataset))
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _resolve_generator(
    generator: np.random.Generator | None, seed: int | None
) -> np.random.Generator:
    """Pick the generator: an explicit one, else one from ``seed``, else a child of the global one."""
    if generator is not None and seed is not None:
        raise ValueError("pass either generator= or seed=, not both")
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"generator must be a numpy.random.Generator, got {type(generator).__name__}"
            )
        return generator
    if seed is not None:
        return np.random.default_rng(seed)
    # Like torch, no seed means "follow the global generator": after manual_seed(n) the
    # draws repeat. Drawing a child seed (not sharing the generator) keeps this object's
    # stream independent of later global draws.
    return np.random.default_rng(global_generator().integers(2**63))

"""Samplers: which indices a ``DataLoader`` visits, and in what order (``torch.utils.data``'s).

A sampler yields dataset indices; a batch sampler yields lists of them. ``DataLoader(shuffle=True)``
is ``RandomSampler`` inside, and ``batch_size`` is ``BatchSampler`` around it; pass your own to
change either (for example ``SubsetRandomSampler`` for a validation split).

>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence, Sized

import numpy as np

from chainrule import random as _random

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "numpy_generator",
]


def numpy_generator(generator: Any) -> np.random.Generator | None:
    """A sampler's own generator (a ``chainrule.Generator`` or NumPy one), or None to follow
    chainrule's global generator at each epoch."""
    return None if generator is None else _random.numpy_generator(generator)


class Sampler:
    """Base class: subclasses define ``__iter__`` (the indices) and usually ``__len__``."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no len()")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) − 1, in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh permutation each epoch, or ``num_samples`` draws with ``replacement=True``."""

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        self.generator = numpy_generator(generator)
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"num_samples should be a positive integer value, but got {num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng = self.generator if self.generator is not None else _global_child()
        n = len(self.data_source)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        reps = -(-self.num_samples // n) if n else 0
        order = np.concatenate([rng.permutation(n) for _ in range(reps)]) if reps else []
        return iter(np.asarray(order[: self.num_samples], dtype=np.int64).tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a fresh random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = list(indices)
        self.generator = numpy_generator(generator)

    def __iter__(self) -> Iterator[int]:
        rng = self.generator if self.generator is not None else _global_child()
        return iter(self.indices[i] for i in rng.permutation(len(self.indices)))

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Any = None,
    ) -> None:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.size == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() == 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, >= 0, not all 0")
        if not replacement and num_samples > (w > 0).sum():
            raise RuntimeError(
                "WeightedRandomSampler: not enough nonzero weights to draw without replacement"
            )
        self.weights, self.num_samples, self.replacement = w, int(num_samples), bool(replacement)
        self.generator = numpy_generator(generator)

    def __iter__(self) -> Iterator[int]:
        rng = self.generator if self.generator is not None else _global_child()
        p = self.weights / self.weights.sum()
        return iter(rng.choice(len(p), self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _global_child() -> np.random.Generator:
    """No generator given: follow chainrule's global one, so manual_seed makes epochs repeat."""
    return np.random.default_rng(_random.numpy_generator().integers(2**63))

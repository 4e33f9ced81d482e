"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches, as ``torch.utils.data.DataLoader``.

Each ``iter(loader)`` is one epoch. With ``shuffle=True`` the epoch's order is a fresh
permutation drawn from ``loader.generator`` *when ``iter()`` is called*, so:

- a seeded loader gives the same sequence of epochs run after run;
- consecutive epochs differ (each draws the next permutation);
- ``loader.generator.bit_generator.state`` saved between epochs and assigned back later makes
  the following epochs repeat exactly: that is the RNG state a checkpoint must store.
  (Mid-epoch, the state already includes the current epoch's permutation: to resume there,
  save the state from before that epoch's ``iter()`` plus the number of batches done, and
  skip that many after restoring.)

>>> import numpy as np
>>> from chainrule.data import TensorDataset
>>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
>>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
>>> len(loader), [len(y.data) for _, y in loader]
(3, [4, 4, 2])
>>> state = loader.generator.bit_generator.state       # checkpoint between epochs
>>> first = [y.data.tolist() for _, y in loader]
>>> loader.generator.bit_generator.state = state       # resume
>>> first == [y.data.tolist() for _, y in loader]
True
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from chainrule.data.collate import default_collate
from chainrule.data.dataset import Dataset, _resolve_generator

__all__ = ["DataLoader"]


class DataLoader:
    """Yield batches of ``batch_size`` samples, stacked into Tensors; ``len(loader)`` is the batch count.

    ``len = ceil(N / batch_size)``, or ``floor`` with ``drop_last=True`` (which drops the last,
    smaller batch). Batches come from ``dataset.get_batch(indices)`` when the dataset has it (a
    ``TensorDataset`` or a ``Subset`` of one: one fancy index per array, no Python loop over
    samples), else from ``__getitem__`` per sample and :func:`default_collate`.

    Randomness: ``generator`` (a ``numpy.random.Generator``), else ``default_rng(seed)``, else a
    generator seeded from chainrule's global one, so ``chainrule.random.manual_seed`` makes runs
    repeat, as ``torch.manual_seed`` does. Differs from PyTorch: ``loader.generator`` always
    exists (a NumPy generator), there are no worker processes, no ``sampler`` and no ``collate_fn``.

    >>> import numpy as np
    >>> from chainrule.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2)
    >>> [b.data.tolist() for (b,) in loader]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator: np.random.Generator = _resolve_generator(generator, seed)

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)  # -(-n // b) is ceil(n / b)

    def __iter__(self) -> Iterator[Any]:
        # Draw the epoch's order now, not lazily on the first next(): the generator's state
        # right after iter() must already include this epoch, so that state saved between
        # epochs resumes exactly at the next one.
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        """Cut ``order`` (N,) into slices of ``batch_size`` and fetch each as one batch."""
        fetch = getattr(self.dataset, "get_batch", None)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start : start + self.batch_size]  # (B,) int64, the last one may be shorter
            if fetch is not None:
                yield fetch(idx)
            else:
                yield default_collate([self.dataset[int(i)] for i in idx])

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )

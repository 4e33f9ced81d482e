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

from typing import Any, Callable, Iterable, Iterator

import numpy as np

from chainrule.data.collate import default_collate, default_convert
from chainrule.data.dataset import Dataset, _resolve_generator
from chainrule.data.sampler import BatchSampler, numpy_generator

__all__ = ["DataLoader"]


class DataLoader:
    """Yield batches of ``batch_size`` samples, stacked into Tensors; ``len(loader)`` is the batch count.

    ``len = ceil(N / batch_size)``, or ``floor`` with ``drop_last=True`` (which drops the last,
    smaller batch). Batches come from ``dataset.get_batch(indices)`` when the dataset has it (a
    ``TensorDataset`` or a ``Subset`` of one: one fancy index per array, no Python loop over
    samples), else from ``__getitem__`` per sample and :func:`default_collate`.

    Randomness: ``generator`` (a ``chainrule.Generator`` or ``numpy.random.Generator``), else
    ``default_rng(seed)``, else a generator seeded from chainrule's global one, so
    ``chainrule.manual_seed`` makes runs repeat, as ``torch.manual_seed`` does.

    ``sampler`` (indices) and ``batch_sampler`` (lists of indices) replace the order and the
    batching, and ``collate_fn`` how samples become a batch, with PyTorch's rules for which
    options exclude which. ``batch_size=None`` yields samples one by one, unbatched. Differs from
    PyTorch: ``loader.generator`` is a NumPy generator, and ``num_workers`` is accepted but the
    batches are loaded in this process (NumPy work; no worker processes to start or debug).

    >>> import numpy as np
    >>> from chainrule.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2)
    >>> [b.data.tolist() for (b,) in loader]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        seed: int | None = None,
    ) -> None:
        if batch_size is not None and (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                "and drop_last"
            )
        if batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self.num_workers = num_workers  # accepted; batches are loaded in this process
        self.worker_init_fn = worker_init_fn
        self.generator: np.random.Generator = _resolve_generator(numpy_generator(generator), seed)
        if worker_init_fn is not None and num_workers > 0:
            for worker_id in range(num_workers):  # what each worker would run at its start
                worker_init_fn(worker_id)

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)  # type: ignore[arg-type]
        b = self.batch_size
        if b is None:
            return n
        return n // b if self.drop_last else -(-n // b)  # -(-n // b) is ceil(n / b)

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is not None:
            return self._fetch_all(iter(self.batch_sampler))
        if self.sampler is not None:
            if self.batch_size is None:
                return self._unbatched(iter(self.sampler))
            return self._fetch_all(
                iter(BatchSampler(self.sampler, self.batch_size, self.drop_last))
            )
        # Draw the epoch's order now, not lazily on the first next(): the generator's state
        # right after iter() must already include this epoch, so that state saved between
        # epochs resumes exactly at the next one.
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        if self.batch_size is None:
            return self._unbatched(iter(order.tolist()))
        return self._batches(order)

    def _unbatched(self, indices: Iterator[int]) -> Iterator[Any]:
        convert = self.collate_fn or default_convert
        for i in indices:
            yield convert(self.dataset[int(i)])

    def _fetch_all(self, batches: Iterator[list[int]]) -> Iterator[Any]:
        for idx in batches:
            yield self._fetch(np.asarray(idx, dtype=np.int64))

    def _fetch(self, idx: np.ndarray) -> Any:
        fetch = getattr(self.dataset, "get_batch", None)
        if fetch is not None and self.collate_fn is None:
            return fetch(idx)
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in idx])

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        """Cut ``order`` (N,) into slices of ``batch_size`` and fetch each as one batch."""
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start : start + self.batch_size]  # (B,) int64, the last one may be shorter
            yield self._fetch(idx)

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )

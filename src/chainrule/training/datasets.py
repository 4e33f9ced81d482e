"""The data behind ``chainrule train``: a named data set, made into float inputs and split train/val/test.

Images (MNIST, Fashion-MNIST) are scaled to [0, 1], standardised with the data set's pixel
mean and std (constants in :mod:`chainrule.data`), and flattened to 784 inputs. The 2-D toy
sets are standardised per coordinate with the training split's mean and std. The validation
split is a seeded ``random_split`` of the training images; the test set is kept apart.

>>> data = load_training_data("moons", val_fraction=0.2, seed=0)
>>> data.x_train.shape, data.x_val.shape, data.x_test.shape, data.classes
((800, 2), (200, 2), (500, 2), ('0', '1'))
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chainrule.data import (
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    MNIST_MEAN,
    MNIST_STD,
    DatasetFallbackWarning,
    TensorDataset,
    default_data_dir,
    load_fashion_mnist,
    load_mnist,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
    normalize,
    random_split,
    to_float,
)

__all__ = ["DATASETS", "IMAGE_DATASETS", "TrainingData", "load_training_data", "image_stats"]

IMAGE_DATASETS = ("mnist", "fashion-mnist")
# The 2-D sets: (maker, its keyword arguments). 1,000 training and 500 test points drawn with a
# fixed data seed, so a data set is one fixed thing and --seed only changes init, split and order.
_TOY_SETS = {
    "xor": (make_xor, {"noise": 0.1}),
    "moons": (make_moons, {"noise": 0.2}),
    "circles": (make_circles, {"noise": 0.1, "factor": 0.5}),
    "spirals": (make_spirals, {"n_classes": 3, "noise": 0.2}),
}
_TOY_TRAIN, _TOY_TEST, _TOY_DATA_SEED = 1000, 500, 0
DATASETS = IMAGE_DATASETS + tuple(_TOY_SETS)


@dataclass(frozen=True)
class TrainingData:
    """Float inputs (N, D) float32 and int64 labels (N,) of the train, validation and test splits.

    ``name`` is the data actually used (``"mnist-sample"`` when MNIST fell back to the embedded
    sample), ``source`` says where it came from in one line, ``note`` why a fallback happened
    (or ``""``), and ``mean``/``std`` are what the inputs were standardised with.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    name: str
    source: str
    mean: list[float]
    std: list[float]
    note: str = ""

    @property
    def input_dim(self) -> int:
        """Features per example: 784 for images, 2 for the toy sets."""
        return int(self.x_train.shape[1])

    def describe(self) -> str:
        """One line: which data, how many examples per split, where from."""
        return (
            f"{self.name}: {len(self.y_train):,} train / {len(self.y_val):,} val / {len(self.y_test):,} test, "
            f"{len(self.classes)} classes, from {self.source}"
        )


def image_stats(name: str) -> tuple[float, float]:
    """Return the pixel (mean, std) a data set's images are standardised with (MNIST's for its sample).

    >>> image_stats("fashion-mnist")
    (0.286, 0.353)
    """
    return (
        (FASHION_MNIST_MEAN, FASHION_MNIST_STD)
        if name.startswith("fashion")
        else (MNIST_MEAN, MNIST_STD)
    )


def _load_images(dataset: str, data_dir: str | os.PathLike[str] | None):
    """Load the MNIST-like set, turning load_mnist's fallback warning into a returned note."""
    if dataset == "fashion-mnist":
        return load_fashion_mnist(data_dir), ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DatasetFallbackWarning)
        data = load_mnist(root=data_dir, download=False)
    if not any(issubclass(w.category, DatasetFallbackWarning) for w in caught):
        return data, ""
    # The warning lists each missing file; as a run's note, where to look and what to do is enough.
    where = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    return data, (
        f"no MNIST IDX files in {where}, so the embedded 5,000-image sample is used; "
        "--data-dir DIR trains on the full set"
    )


def load_training_data(
    dataset: str = "mnist",
    data_dir: str | os.PathLike[str] | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
) -> TrainingData:
    """Load ``dataset``, preprocess it, and split ``val_fraction`` of its training set off, seeded.

    MNIST never downloads here: without the IDX files in ``data_dir`` (or the usual places) it
    uses the embedded 5,000-image sample and says why in ``note``. Raises ``ValueError`` for an
    unknown name or fraction and ``FileNotFoundError`` when ``data_dir`` does not exist.
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if data_dir is not None and not Path(data_dir).expanduser().is_dir():
        raise FileNotFoundError(f"data directory {data_dir} does not exist")

    if dataset in IMAGE_DATASETS:
        images, note = _load_images(dataset, data_dir)
        mean, std = image_stats(images.name)
        x_all = normalize(to_float(images.x_train), mean, std)  # (N, 784) float32
        x_test = normalize(to_float(images.x_test), mean, std)
        y_all, y_test = images.y_train, images.y_test
        classes, name, source = images.classes, images.name, images.source
        means, stds = [mean], [std]
    else:
        maker, kwargs = _TOY_SETS[dataset]
        x, y = maker(
            _TOY_TRAIN + _TOY_TEST, seed=_TOY_DATA_SEED, **kwargs
        )  # already in random order
        x_all, y_all, x_test, y_test = (
            x[:_TOY_TRAIN],
            y[:_TOY_TRAIN],
            x[_TOY_TRAIN:],
            y[_TOY_TRAIN:],
        )
        mu, sigma = x_all.mean(0), x_all.std(0)  # (2,) each, from the training points only
        x_all, x_test = (x_all - mu) / sigma, (x_test - mu) / sigma
        classes = tuple(str(k) for k in range(int(y.max()) + 1))
        settings = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        source = f"make_{dataset}({_TOY_TRAIN + _TOY_TEST}, {settings}, seed={_TOY_DATA_SEED})"
        name, note = dataset, ""
        means, stds = mu.tolist(), sigma.tolist()

    # The split: a seeded permutation of the training indices (the same seed, the same split).
    if val_fraction > 0:
        train_part, val_part = random_split(
            TensorDataset(y_all), [1.0 - val_fraction, val_fraction], seed=seed
        )
        train_idx, val_idx = train_part.indices, val_part.indices
    else:
        train_idx, val_idx = np.arange(len(y_all)), np.arange(0)
    return TrainingData(
        x_train=np.ascontiguousarray(x_all[train_idx], dtype=np.float32),
        y_train=y_all[train_idx],
        x_val=np.ascontiguousarray(x_all[val_idx], dtype=np.float32),
        y_val=y_all[val_idx],
        x_test=np.ascontiguousarray(x_test, dtype=np.float32),
        y_test=y_test,
        classes=tuple(classes),
        name=name,
        source=source,
        mean=means,
        std=stds,
        note=note,
    )

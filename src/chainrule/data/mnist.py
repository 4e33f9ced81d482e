"""MNIST and Fashion-MNIST from their IDX files, with the embedded sample as the offline fallback.

Where ``load_mnist`` looks, in order (the first that is set is *the* data directory):

1. ``root=`` (the CLI's ``--data-dir``);
2. the environment variable ``CHAINRULE_DATA``;
3. ``$XDG_CACHE_HOME/chainrule/mnist``, or ``~/.cache/chainrule/mnist``.

In that directory (or its ``MNIST/raw/`` subfolder, torchvision's layout) it reads the four
standard files, each raw or gzipped: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``. Missing files are downloaded only when
``download=True``, from :data:`MNIST_MIRRORS`, checked against :data:`MNIST_SHA256`. When the
files cannot be had, it returns the embedded 5,000-image sample and says so in one line, a
:class:`DatasetFallbackWarning` (a ``UserWarning``: shown once per call site by default,
``warnings.simplefilter("error", DatasetFallbackWarning)`` turns it into an error).

MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0. Fashion-MNIST: Zalando Research, MIT.

>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DatasetFallbackWarning)
...     data = load_mnist(root="/nonexistent")      # no files, no download: the sample
>>> data.name, data.x_train.shape, data.y_train.dtype
('mnist-sample', (4000, 28, 28), dtype('int64'))
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from chainrule.data.download import DownloadError
from chainrule.data.download import download as download_file  # `download` is load_mnist's flag
from chainrule.data.idx import IDXError, read_idx
from chainrule.data.sample import SAMPLE_SOURCE, load_mnist_sample

__all__ = [
    "MNISTData",
    "load_mnist",
    "load_fashion_mnist",
    "default_data_dir",
    "DatasetFallbackWarning",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
    "IDX_FILES",
    "CHAINRULE_DATA_ENV",
    "FASHION_MNIST_DIRS",
]

MNIST_CLASSES = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

# The four files of MNIST and Fashion-MNIST (same names for both), without ``.gz``.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

# Mirrors of the original gzipped files (yann.lecun.com itself often refuses downloads): the
# one torchvision uses first, then the one TensorFlow's datasets use. URL = mirror + file name.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# SHA-256 of the official .gz files (9,912,422 / 28,881 / 1,648,877 / 4,542 bytes), as pinned
# identically by many independent projects (TensorFlow's and torchvision-style downloaders).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

CHAINRULE_DATA_ENV = "CHAINRULE_DATA"
# Where Debian's ``dataset-fashion-mnist`` package puts the files.
FASHION_MNIST_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)


class DatasetFallbackWarning(UserWarning):
    """The requested data set was not available, so the embedded MNIST sample is used instead."""


@dataclass(frozen=True)
class MNISTData:
    """Images (N, 28, 28) uint8 and labels (N,) int64 of a train and a test split, plus where they came from.

    ``name`` is ``"mnist"``, ``"mnist-sample"`` or ``"fashion-mnist"``; ``source`` is a
    human-readable line (a directory, a mirror, or the embedded sample).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    source: str
    classes: tuple[str, ...] = MNIST_CLASSES


def default_data_dir() -> Path:
    """Return ``$CHAINRULE_DATA``, else ``$XDG_CACHE_HOME/chainrule/mnist``, else ``~/.cache/chainrule/mnist``.

    >>> import os
    >>> os.environ["CHAINRULE_DATA"] = "/data/mnist"; str(default_data_dir())
    '/data/mnist'
    >>> del os.environ["CHAINRULE_DATA"]
    """
    if env := os.environ.get(CHAINRULE_DATA_ENV):
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "chainrule" / "mnist"


def _find(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Locate the four files in ``directory`` or ``directory/MNIST/raw``: (found by key, missing names).

    Uncompressed files win over ``.gz`` ones (they read faster); the first folder wins.
    """
    found: dict[str, Path] = {}
    for key, name in IDX_FILES.items():
        for folder in (directory, directory / "MNIST" / "raw"):
            hit = next((p for p in (folder / name, folder / f"{name}.gz") if p.is_file()), None)
            if hit is not None:
                found[key] = hit
                break
    missing = [f"{name}[.gz]" for key, name in IDX_FILES.items() if key not in found]
    return found, missing


def _read_splits(files: Mapping[str, Path]) -> dict[str, np.ndarray]:
    """Read the four IDX files and check they fit together: 28x28 uint8 images, labels 0..9, equal counts."""
    # The shapes go to read_idx, so a header claiming (1, 50000, 50000) is refused before
    # anything is decompressed, not after 2.5 GB.
    arrays = {
        key: read_idx(
            path, shape=(None, 28, 28) if key.startswith("x") else (None,), dtype=np.uint8
        )
        for key, path in files.items()
    }
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        xp, yp = files[f"x_{split}"], files[f"y_{split}"]
        if len(x) == 0:
            raise IDXError(f"{xp}: holds 0 images; a data set needs at least one")
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise IDXError(
                f"{xp}: expected uint8 images of shape (N, 28, 28), got {x.dtype} {x.shape}"
            )
        if y.dtype != np.uint8 or y.ndim != 1:
            raise IDXError(f"{yp}: expected uint8 labels of shape (N,), got {y.dtype} {y.shape}")
        if len(x) != len(y):
            raise IDXError(f"{xp} has {len(x)} images but {yp} has {len(y)} labels")
        if y.size and y.max() > 9:
            raise IDXError(f"{yp}: labels must be 0..9, found {int(y.max())}")
        arrays[f"y_{split}"] = y.astype(np.int64)
    return arrays


def _sample(reason: str) -> MNISTData:
    """Warn in one line why, then return the embedded sample."""
    warnings.warn(
        f"{reason}; using the embedded MNIST sample instead (4,000 train / 1,000 test images)",
        DatasetFallbackWarning,
        stacklevel=3,
    )
    x_train, y_train, x_test, y_test = load_mnist_sample()
    return MNISTData(x_train, y_train, x_test, y_test, name="mnist-sample", source=SAMPLE_SOURCE)


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    download: bool = False,
    *,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    checksums: Mapping[str, str] = MNIST_SHA256,
    fallback: bool = True,
    progress: bool = True,
    timeout: float = 30.0,
) -> MNISTData:
    """Load the full MNIST (60,000 train / 10,000 test) from IDX files, downloading them if allowed.

    Looks in ``root``, else ``$CHAINRULE_DATA``, else the cache directory (see the module
    docstring). With ``download=True``, missing files are fetched into that directory from
    ``mirrors`` (tried in order), each verified against ``checksums`` (SHA-256 of the .gz) and
    written atomically. If the files are still missing (or no mirror answers), it returns the
    embedded sample with a one-line :class:`DatasetFallbackWarning`, or raises
    ``FileNotFoundError`` / :class:`DownloadError` when ``fallback=False``. Files that exist but
    are malformed always raise :class:`IDXError`.
    """
    directory = Path(root).expanduser() if root is not None else default_data_dir()
    found, missing = _find(directory)
    fetched_from = None
    if missing and download:
        try:
            for key, name in IDX_FILES.items():
                if key not in found:
                    gz = f"{name}.gz"
                    fetched_from = _download_one(
                        gz, directory, mirrors, checksums, progress, timeout
                    )
                    found[key] = directory / gz
        except DownloadError as e:
            if not fallback:
                raise
            return _sample(f"MNIST: {e} (offline?)")
        missing = []
    if missing:
        reason = f"MNIST IDX files not found in {directory} (missing {', '.join(missing)}) and download=False"
        if not fallback:
            raise FileNotFoundError(reason)
        return _sample(reason)
    arrays = _read_splits(found)
    source = f"IDX files in {directory}"
    if fetched_from:
        source += f" (downloaded from {fetched_from.rsplit('/', 1)[0]}/)"  # the mirror: the URL less the file name
    return MNISTData(**arrays, name="mnist", source=source)


def _download_one(
    gz: str,
    directory: Path,
    mirrors: Sequence[str],
    checksums: Mapping[str, str],
    progress: bool,
    timeout: float,
) -> str:
    """Download ``gz`` into ``directory`` from the first good mirror; return the URL used."""
    urls = [mirror.rstrip("/") + "/" + gz for mirror in mirrors]
    return download_file(urls, directory / gz, checksums[gz], progress=progress, timeout=timeout)


def load_fashion_mnist(root: str | os.PathLike[str] | None = None) -> MNISTData:
    """Load Fashion-MNIST (60,000 train / 10,000 test, 10 clothing classes) from its IDX files.

    Looks in ``root`` (when given), then Debian's ``/usr/share/datasets/fashion-mnist/``
    (``apt-get install dataset-fashion-mnist``). There is no download and no fallback: when
    neither place has all four files, ``FileNotFoundError`` names every path tried.
    Class names are :data:`FASHION_MNIST_CLASSES`.
    """
    tried = []
    for directory in ([Path(root).expanduser()] if root is not None else []) + list(
        FASHION_MNIST_DIRS
    ):
        found, missing = _find(directory)
        if not missing:
            arrays = _read_splits(found)
            return MNISTData(
                **arrays,
                name="fashion-mnist",
                source=f"IDX files in {directory}",
                classes=FASHION_MNIST_CLASSES,
            )
        tried.append(f"{directory} (missing {', '.join(missing)})")
    raise FileNotFoundError(
        "Fashion-MNIST IDX files not found; tried "
        + "; ".join(tried)
        + ". Install them with `apt-get install dataset-fashion-mnist` or pass root= a folder holding them."
    )

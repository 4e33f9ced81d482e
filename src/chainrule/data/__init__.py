"""Data for the MLP week: datasets and a DataLoader with PyTorch's names, IDX files, MNIST.

- ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``, ``DataLoader``: as in
  ``torch.utils.data``, with NumPy generators for the randomness;
- ``read_idx`` / ``write_idx``: the MNIST file format;
- ``load_mnist``, ``load_mnist_sample``, ``load_fashion_mnist``: the data sets;
- ``make_xor``, ``make_moons``, ``make_circles``, ``make_spirals``, ``make_blobs``: 2-D toys;
- ``to_float``, ``normalize``, ``MNIST_MEAN``, ``MNIST_STD``: image preprocessing.

>>> from chainrule.data import TensorDataset, DataLoader, make_moons
>>> X, y = make_moons(100, seed=0)
>>> xb, yb = next(iter(DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)))
>>> xb.shape, yb.shape
(chainrule.Size([32, 2]), chainrule.Size([32]))
"""

from chainrule.data.collate import default_collate, default_convert
from chainrule.data.dataloader import DataLoader
from chainrule.data.dataset import Dataset, Subset, TensorDataset, random_split
from chainrule.data.download import ChecksumError, DownloadError
from chainrule.data.idx import IDXError, read_idx, write_idx
from chainrule.data.mnist import (
    CHAINRULE_DATA_ENV,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    MNIST_MIRRORS,
    MNIST_SHA256,
    DatasetFallbackWarning,
    MNISTData,
    default_data_dir,
    load_fashion_mnist,
    load_mnist,
)
from chainrule.data.sample import load_mnist_sample
from chainrule.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from chainrule.data.synthetic import make_blobs, make_circles, make_moons, make_spirals, make_xor
from chainrule.data.transforms import (
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    MNIST_MEAN,
    MNIST_STD,
    normalize,
    to_float,
)

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "default_convert",
    # torch.utils.data
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "DataLoader",
    "default_collate",
    # IDX files
    "IDXError",
    "read_idx",
    "write_idx",
    # data sets
    "MNISTData",
    "load_mnist",
    "load_mnist_sample",
    "load_fashion_mnist",
    "default_data_dir",
    "DatasetFallbackWarning",
    "DownloadError",
    "ChecksumError",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
    "CHAINRULE_DATA_ENV",
    # synthetic 2-D sets
    "make_xor",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_blobs",
    # preprocessing
    "to_float",
    "normalize",
    "MNIST_MEAN",
    "MNIST_STD",
    "FASHION_MNIST_MEAN",
    "FASHION_MNIST_STD",
]

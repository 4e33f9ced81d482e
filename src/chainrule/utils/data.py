"""``torch.utils.data``'s names, for code written against PyTorch: the same objects as ``chainrule.data``.

>>> from chainrule.utils.data import DataLoader, TensorDataset
>>> import chainrule.data
>>> DataLoader is chainrule.data.DataLoader
True
"""

from chainrule.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "random_split",
    "DataLoader",
    "default_collate",
    "default_convert",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

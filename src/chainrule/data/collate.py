"""``default_collate``: stack a list of samples into one batch, field by field.

The slow path, for datasets without ``get_batch``: each sample is fetched on its own, then
the i-th fields of all samples are stacked along a new first dimension.

>>> import numpy as np
>>> batch = default_collate([(np.array([1.0, 2.0], np.float32), 0), (np.array([3.0, 4.0], np.float32), 1)])
>>> batch
(tensor([[1., 2.],
        [3., 4.]]), tensor([0, 1]))
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from chainrule._tensor import Tensor, as_tensor

__all__ = ["default_collate", "default_convert"]


def _stack(items: Sequence[Any]) -> Tensor:
    """Stack Tensors, arrays or numbers into one Tensor with a new first dim: k items of shape s -> (k, *s)."""
    first = items[0]
    if isinstance(first, (bool, int, float)) and not isinstance(first, np.generic):
        # Python numbers: one array straight from the list (int -> int64, float -> float64).
        return as_tensor(np.array(items))
    arrays = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in items]
    shape, dtype = arrays[0].shape, arrays[0].dtype
    if all(a.shape == shape and a.dtype == dtype for a in arrays):
        # np.array copies a list of equal arrays in one pass: about twice np.stack's speed
        # for a batch of 64, which is what brings collate within torch's time.
        return as_tensor(np.array(arrays))
    return as_tensor(np.stack(arrays))  # mixed dtypes promote; mixed shapes raise NumPy's error


def default_collate(samples: Sequence[Any]) -> Tensor | tuple[Tensor, ...]:
    """Stack samples into a batch: tuples (or lists) field by field, anything else as one Tensor.

    Like ``torch.utils.data.default_collate`` for tuples, dicts and arrays; Python ints become
    int64 and floats float64 (as in PyTorch). Strings are kept as a list.

    >>> default_collate([3, 4, 5])
    tensor([3, 4, 5])
    """
    if not samples:
        raise ValueError("default_collate: no samples to collate")
    first = samples[0]
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        width = len(first)
        if any(len(s) != width for s in samples):
            widths = sorted({len(s) for s in samples})
            raise ValueError(f"default_collate: samples have different numbers of fields: {widths}")
        return tuple(_stack([s[k] for s in samples]) for k in range(width))
    return _stack(samples)


def default_convert(sample: Any) -> Any:
    """One sample as tensors, unbatched (``DataLoader(batch_size=None)``): arrays become
    tensors, tuples, lists and dicts are converted field by field, numbers stay numbers."""
    if isinstance(sample, np.ndarray):
        return as_tensor(sample)
    if isinstance(sample, dict):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample

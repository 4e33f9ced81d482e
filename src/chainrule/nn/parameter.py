"""Parameter: the Tensor subclass that marks a Module's learnable weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as learnable (``requires_grad=True`` by default).

    Assigning one to a Module attribute (``self.weight = Parameter(...)``) is what puts it in
    ``module.parameters()``; a plain Tensor attribute is just data. Built from a Tensor, it
    shares that Tensor's array, as torch's shares storage.

    >>> w = Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> w.requires_grad, w.is_leaf, w.shape
    (True, True, chainrule.Size([2, 3]))
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            data = data.numpy()
        elif not isinstance(data, np.ndarray):
            data = np.asarray(data, dtype=np.float32)
        # torch.nn.Parameter keeps its data's dtype (unlike torch.Tensor(data), always float32)
        super().__init__(data, requires_grad=requires_grad, dtype=data.dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

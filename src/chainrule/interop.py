"""Moving between chainrule and PyTorch: the path out when a student outgrows chainrule.

``to_torch(model)`` builds the equivalent ``torch.nn`` module with the same weights;
``from_torch(module)`` does the reverse for the layers chainrule has. Both go through
one table of layer pairs, so adding a layer is one entry. Weights are copied (the two
models are then independent), keeping their dtype.

Tensors: ``tensor_to_torch`` and ``tensor_from_torch`` share memory with no copy
(``torch.from_numpy`` and ``Tensor.numpy()``), as ``Tensor(ndarray)`` and
``t.numpy()`` do with NumPy.

>>> from chainrule import nn
>>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
>>> print(to_torch(model))  # doctest: +NORMALIZE_WHITESPACE
Sequential(
  (0): Linear(in_features=4, out_features=3, bias=True)
  (1): ReLU()
  (2): Linear(in_features=3, out_features=2, bias=True)
)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule import nn
from chainrule._tensor import Tensor, as_tensor


def _torch() -> Any:
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        raise ImportError("interop needs PyTorch: pip install torch==2.13.0 (CPU build)") from None
    return torch


def _copy_linear_to_torch(src: nn.Linear, torch: Any) -> Any:
    dst = torch.nn.Linear(
        src.in_features,
        src.out_features,
        bias=src.bias is not None,
        dtype=_torch_dtype(src.weight.dtype.dtype, torch),
    )
    with torch.no_grad():
        dst.weight.copy_(torch.from_numpy(src.weight.detach().numpy()))
        if src.bias is not None:
            dst.bias.copy_(torch.from_numpy(src.bias.detach().numpy()))
    return dst


def _copy_linear_from_torch(src: Any, torch: Any) -> nn.Linear:
    weight = src.weight.detach().cpu().numpy()
    dst = nn.Linear(
        src.in_features, src.out_features, bias=src.bias is not None, dtype=weight.dtype
    )
    dst.weight.data = weight.copy()
    if src.bias is not None:
        dst.bias.data = src.bias.detach().cpu().numpy().copy()
    return dst


def _torch_dtype(dtype: np.dtype, torch: Any) -> Any:
    return torch.from_numpy(np.zeros(0, dtype=dtype)).dtype


# One row per layer pair: chainrule class, torch class name, to torch, from torch.
# Containers (Sequential) are handled by recursion below.
_LAYERS: list[tuple[type, str, Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = [
    (nn.Linear, "Linear", _copy_linear_to_torch, _copy_linear_from_torch),
    (nn.ReLU, "ReLU", lambda m, t: t.nn.ReLU(), lambda m, t: nn.ReLU()),
    (
        nn.LeakyReLU,
        "LeakyReLU",
        lambda m, t: t.nn.LeakyReLU(m.negative_slope),
        lambda m, t: nn.LeakyReLU(m.negative_slope),
    ),
    (nn.Sigmoid, "Sigmoid", lambda m, t: t.nn.Sigmoid(), lambda m, t: nn.Sigmoid()),
    (nn.Tanh, "Tanh", lambda m, t: t.nn.Tanh(), lambda m, t: nn.Tanh()),
    (
        nn.GELU,
        "GELU",
        lambda m, t: t.nn.GELU(approximate=m.approximate),
        lambda m, t: nn.GELU(approximate=m.approximate),
    ),
    (
        nn.Softmax,
        "Softmax",
        lambda m, t: t.nn.Softmax(dim=m.dim),
        lambda m, t: nn.Softmax(dim=m.dim),
    ),
    (
        nn.Flatten,
        "Flatten",
        lambda m, t: t.nn.Flatten(m.start_dim, m.end_dim),
        lambda m, t: nn.Flatten(m.start_dim, m.end_dim),
    ),
    (nn.Dropout, "Dropout", lambda m, t: t.nn.Dropout(m.p), lambda m, t: nn.Dropout(m.p)),
    (nn.Identity, "Identity", lambda m, t: t.nn.Identity(), lambda m, t: nn.Identity()),
]


def to_torch(module: nn.Module) -> Any:
    """Build the equivalent ``torch.nn`` module, with the same weights and train/eval mode."""
    torch = _torch()
    out = _convert_to_torch(module, torch, "model")
    out.train(module.training)
    return out


def _convert_to_torch(module: nn.Module, torch: Any, where: str) -> Any:
    if type(module) is nn.Sequential:
        return torch.nn.Sequential(
            OrderedDict(
                (name, _convert_to_torch(child, torch, f"{where}.{name}"))
                for name, child in module.named_children()
            )
        )
    for cls, _, to, _ in _LAYERS:
        if type(module) is cls:
            return to(module, torch)
    raise TypeError(
        f"to_torch: no PyTorch equivalent for {type(module).__name__} (at {where!r}); "
        f"supported: Sequential, {', '.join(name for _, name, _, _ in _LAYERS)}"
    )


def from_torch(module: Any) -> nn.Module:
    """Build the equivalent chainrule module from a ``torch.nn`` one, with the same weights."""
    torch = _torch()
    out = _convert_from_torch(module, torch, "model")
    out.train(module.training)
    return out


def _convert_from_torch(module: Any, torch: Any, where: str) -> nn.Module:
    if type(module) is torch.nn.Sequential:
        return nn.Sequential(
            OrderedDict(
                (name, _convert_from_torch(child, torch, f"{where}.{name}"))
                for name, child in module.named_children()
            )
        )
    for _, name, _, back in _LAYERS:
        if type(module) is getattr(torch.nn, name):
            return back(module, torch)
    raise TypeError(
        f"from_torch: chainrule has no layer for torch.nn.{type(module).__name__} (at {where!r}); "
        f"supported: Sequential, {', '.join(name for _, name, _, _ in _LAYERS)}"
    )


def tensor_to_torch(t: Tensor) -> Any:
    """A ``torch.Tensor`` sharing ``t``'s memory (no copy); gradients are not carried over."""
    return _torch().from_numpy(t.numpy())


def tensor_from_torch(t: Any) -> Tensor:
    """A chainrule ``Tensor`` sharing a CPU ``torch.Tensor``'s memory (no copy)."""
    return as_tensor(t.detach().cpu().numpy())

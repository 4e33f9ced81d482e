"""Moving between chainrule and PyTorch: the path out when a student outgrows chainrule.

``to_torch(model)`` builds the equivalent ``torch.nn`` module with the same weights;
``from_torch(module)`` does the reverse. Both work for containers, every layer both libraries
have (rebuilt from its settings: ``layers.py``) and the user's own ``nn.Module`` subclasses,
whose methods are re-pointed at the other library's names (``user_modules.py``), so the
lecture's ``class MLP(nn.Module)`` written with ``import chainrule as torch`` runs in PyTorch
unchanged. Weights are copied (the two models are then independent), keeping their dtype.

Tensors: ``tensor_to_torch`` and ``tensor_from_torch`` share memory with no copy
(``torch.from_numpy`` and ``Tensor.numpy()``), as ``Tensor(ndarray)`` and ``t.numpy()`` do
with NumPy. State dicts: ``state_dict_to_torch`` turns a chainrule state dict, or a file written
by ``chainrule.save``, into one ``torch_model.load_state_dict`` accepts.

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

import os
from collections import OrderedDict
from typing import Any

from chainrule import nn
from chainrule._tensor import Tensor, as_tensor
from chainrule.interop.layers import convert_layer, is_library_layer
from chainrule.interop.names import Translation, import_torch
from chainrule.interop.user_modules import convert_user_module
from chainrule.serialization import load

__all__ = [
    "to_torch",
    "from_torch",
    "tensor_to_torch",
    "tensor_from_torch",
    "state_dict_to_torch",
]


def to_torch(module: nn.Module) -> Any:
    """Build the equivalent ``torch.nn`` module, with the same weights and train/eval mode."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"to_torch expects a chainrule nn.Module, got {type(module).__name__}")
    return _convert(module, Translation(to_torch=True))


def from_torch(module: Any) -> nn.Module:
    """Build the equivalent chainrule module from a ``torch.nn`` one, with the same weights."""
    tr = Translation(to_torch=False)
    if not isinstance(module, tr.torch.nn.Module):
        raise TypeError(f"from_torch expects a torch.nn.Module, got {type(module).__name__}")
    return _convert(module, tr)


def _convert(module: Any, tr: Translation) -> Any:
    def convert_child(child: Any, where: str) -> Any:
        if is_library_layer(child, tr):
            return convert_layer(child, tr, where, convert_child)
        return convert_user_module(child, tr, where, convert_child)

    out = convert_child(module, "model")
    for (_, ours), (_, theirs) in zip(module.named_modules(), out.named_modules()):
        theirs.training = ours.training  # each submodule's own mode, as it was
    return out


def tensor_to_torch(t: Tensor) -> Any:
    """A ``torch.Tensor`` sharing ``t``'s memory (no copy); gradients are not carried over."""
    return import_torch().from_numpy(t.numpy())


def tensor_from_torch(t: Any) -> Tensor:
    """A chainrule ``Tensor`` sharing a CPU ``torch.Tensor``'s memory (no copy)."""
    return as_tensor(t.detach().cpu().numpy())


def state_dict_to_torch(state: dict[str, Tensor] | str | os.PathLike) -> OrderedDict[str, Any]:
    """A chainrule state dict (or the path of one saved by ``chainrule.save``) as torch tensors.

    ``torch_model.load_state_dict(state_dict_to_torch("model.pt"))`` is the one call that moves
    trained weights into the equivalent PyTorch model.
    """
    if isinstance(state, (str, os.PathLike)):
        state = load(state)
    if not isinstance(state, dict):
        raise TypeError(f"state_dict_to_torch expects a state dict, got {type(state).__name__}")
    tr = Translation(to_torch=True)
    out = OrderedDict()
    for key, value in state.items():
        if not isinstance(value, Tensor):
            raise TypeError(
                f"state_dict_to_torch: entry {key!r} is a {type(value).__name__}, not a tensor"
            )
        out[key] = tr.tensor(value).detach()
    return out

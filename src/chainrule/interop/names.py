"""Which chainrule object is which PyTorch object: the dictionary both directions translate with.

chainrule mirrors torch's namespaces (``chainrule`` ↔ ``torch``, ``chainrule.nn`` ↔ ``torch.nn``,
``chainrule.nn.functional`` ↔ ``torch.nn.functional``, ...), so the translation is by name: the
object called ``relu`` in ``chainrule`` is the one called ``relu`` in ``torch``. A
:class:`Translation` holds that table for one direction and looks objects up by identity.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

import numpy as np

from chainrule import data, nn, optim
from chainrule._tensor import Tensor, as_tensor

# (chainrule module, torch module's name). chainrule.data is torch.utils.data's counterpart.
_NAMESPACES = [
    ("chainrule", "torch"),
    ("chainrule.nn", "torch.nn"),
    ("chainrule.nn.functional", "torch.nn.functional"),
    ("chainrule.nn.init", "torch.nn.init"),
    ("chainrule.optim", "torch.optim"),
    ("chainrule.optim.lr_scheduler", "torch.optim.lr_scheduler"),
    ("chainrule.autograd", "torch.autograd"),
    ("chainrule.data", "torch.utils.data"),
    ("chainrule.utils.data", "torch.utils.data"),
]

# Keep the layers imported above (their modules must exist before the table is built).
_LOADED = (data, nn, optim)


def import_torch() -> Any:
    """Return the ``torch`` module, or fail with the install line."""
    try:
        import torch  # noqa: PLC0415 (optional: only the way out to PyTorch needs it)
    except ImportError:
        raise ImportError("interop needs PyTorch: pip install torch==2.13.0 (CPU build)") from None
    return torch


class Translation:
    """One direction's table: ``translate(obj)`` is obj's counterpart, or obj itself if none.

    ``to_torch=True`` maps chainrule → torch; ``False`` maps torch → chainrule.
    """

    def __init__(self, to_torch: bool) -> None:
        self.to_torch = to_torch
        self.torch = import_torch()
        self.source_prefix = "chainrule" if to_torch else "torch"
        self.nn = self.torch.nn if to_torch else nn  # the destination's nn
        self.source_nn = nn if to_torch else self.torch.nn
        self.Module = self.nn.Module
        # id → (the object, its counterpart); the object is kept so its id stays unique.
        self._by_id: dict[int, tuple[Any, Any]] = {}
        for ours_name, theirs_name in _NAMESPACES:
            ours = sys.modules.get(ours_name) or importlib.import_module(ours_name)
            theirs = importlib.import_module(theirs_name)
            source, destination = (ours, theirs) if to_torch else (theirs, ours)
            self._by_id.setdefault(id(source), (source, destination))
            for name in dir(ours):  # chainrule's names: the ones with a counterpart at all
                if name.startswith("_") or not hasattr(theirs, name):
                    continue
                src_obj = getattr(source, name)
                if isinstance(src_obj, (int, float, str, bool)) or src_obj is None:
                    continue  # constants are equal already; ids of small ints are shared
                self._by_id.setdefault(id(src_obj), (src_obj, getattr(destination, name)))

    def counterpart(self, obj: Any) -> tuple[bool, Any]:
        """(True, the counterpart) if ``obj`` is a library object with one, else (False, obj)."""
        hit = self._by_id.get(id(obj))
        if hit is not None and hit[0] is obj:
            return True, hit[1]
        return False, obj

    def is_source_library(self, obj: Any) -> bool:
        """Whether ``obj`` (a module, class or function) belongs to the library being left."""
        if isinstance(obj, ModuleType):
            name = obj.__name__
        else:
            name = getattr(obj, "__module__", None) or ""
        return name == self.source_prefix or name.startswith(self.source_prefix + ".")

    def is_source_tensor(self, value: Any) -> bool:
        return isinstance(value, Tensor) if self.to_torch else isinstance(value, self.torch.Tensor)

    def tensor(self, value: Any) -> Any:
        """A copy of a tensor in the destination library, dtype and requires_grad kept."""
        if self.to_torch:
            out = self.torch.from_numpy(np.array(value.detach().numpy()))
        else:
            out = as_tensor(np.array(value.detach().cpu().numpy()))
        return out.requires_grad_(bool(value.requires_grad)) if value.is_floating_point() else out

    def parameter(self, value: Any) -> Any:
        """A copy of a parameter as the destination's Parameter."""
        array = value.detach().numpy() if self.to_torch else value.detach().cpu().numpy()
        if self.to_torch:
            return self.torch.nn.Parameter(
                self.torch.from_numpy(np.array(array)), requires_grad=value.requires_grad
            )
        return nn.Parameter(np.array(array), requires_grad=value.requires_grad)

    def value(self, value: Any) -> Any:
        """Translate one plain attribute value: tensors are copied, library objects mapped."""
        if self.is_source_tensor(value):
            return self.tensor(value)
        if isinstance(value, (list, tuple)) and any(self.is_source_tensor(v) for v in value):
            return type(value)(self.value(v) for v in value)
        return self.counterpart(value)[1]

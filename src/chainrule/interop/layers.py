"""The library's own layers: rebuild each as the other library's class of the same name.

Both libraries name a layer's settings after its constructor's arguments (``Linear`` keeps
``in_features``, ``LeakyReLU`` keeps ``negative_slope``), so one generic rule covers every
layer: read each constructor argument back from the source layer, build the destination layer
with them, then copy the weights and buffers by their state_dict names. A layer whose settings
cannot be read back this way is refused by name rather than rebuilt wrongly.
"""

from __future__ import annotations

import inspect
from typing import Any

from chainrule.interop.names import Translation

# Arguments that are not settings of the layer itself.
_NOT_SETTINGS = {"self", "device", "dtype", "args", "kwargs", "_weight", "_freeze"}
# Settings whose attribute is a tensor (or None) but whose argument is "is it there?".
_FLAGS_FOR_TENSORS = {"bias", "affine", "elementwise_affine"}
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def is_library_layer(module: Any, tr: Translation) -> bool:
    """Whether ``module``'s own class comes from the library being left (not a user's class)."""
    return tr.is_source_library(type(module))


def convert_layer(module: Any, tr: Translation, where: str, convert_child: Any) -> Any:
    """The destination library's version of one of the source library's layers."""
    name = type(module).__name__
    target = getattr(tr.nn, name, None)
    if target is None or not isinstance(target, type):
        library = "PyTorch" if tr.to_torch else "chainrule"
        raise TypeError(f"{_verb(tr)}: {library} has no {name} (at {where!r})")
    if name in _CONTAINERS:
        out = target()
        for child_name, child in module.named_children():
            out.add_module(child_name, convert_child(child, f"{where}.{child_name}"))
        return out
    if name in ("ParameterList", "ParameterDict"):
        params = list(module._parameters.items())
        if name == "ParameterList":
            return target([tr.parameter(p) for _, p in params])
        return target({key: tr.parameter(p) for key, p in params})
    out = target(**_settings(module, target, tr, where))
    _copy_state(module, out, tr, where)
    return out


def _settings(module: Any, target: type, tr: Translation, where: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for arg in inspect.signature(target.__init__).parameters.values():
        if arg.name in _NOT_SETTINGS or arg.kind in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD):
            continue
        if not hasattr(module, arg.name):
            if arg.default is inspect.Parameter.empty:
                raise TypeError(
                    f"{_verb(tr)}: cannot read {type(module).__name__}'s {arg.name!r} back "
                    f"(at {where!r})"
                )
            continue  # left at the default, as the source layer presumably was
        value = getattr(module, arg.name)
        if arg.name in _FLAGS_FOR_TENSORS and not isinstance(value, bool):
            value = value is not None
        settings[arg.name] = tr.value(value)
    params = [p for p in module._parameters.values() if p is not None]
    if params and "dtype" in inspect.signature(target.__init__).parameters:
        settings["dtype"] = tr.counterpart(params[0].dtype)[1]
    return settings


def _copy_state(source: Any, destination: Any, tr: Translation, where: str) -> None:
    state = {key: tr.tensor(value) for key, value in source.state_dict().items()}
    wanted = set(destination.state_dict())
    if set(state) != wanted:
        raise TypeError(
            f"{_verb(tr)}: {type(source).__name__} at {where!r} holds {sorted(state)}, but its "
            f"counterpart expects {sorted(wanted)}"
        )
    if state:
        destination.load_state_dict(state)


def _verb(tr: Translation) -> str:
    return "to_torch" if tr.to_torch else "from_torch"

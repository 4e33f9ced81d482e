"""``functional_call``: run a module with parameters and buffers you pass in (``torch.func``).

The module's own tensors are swapped out for the call and put back afterwards (even if the call
raises), so a function of the parameters, ``lambda p: functional_call(model, p, (x,))``, can
be handed to ``grad`` or ``hessian``.

>>> import chainrule as torch
>>> layer = torch.nn.Linear(2, 1, bias=False)
>>> w = torch.tensor([[1.0, 2.0]])
>>> functional_call(layer, {"weight": w}, (torch.tensor([[3.0, 4.0]]),))
tensor([[11.]])
"""

from __future__ import annotations

from typing import Any

__all__ = ["functional_call"]


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: "dict | tuple[dict, ...]",
    args: Any = (),
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Call ``module(*args, **kwargs)`` with the named tensors in place of its own."""
    dicts = (
        parameter_and_buffer_dicts
        if isinstance(parameter_and_buffer_dicts, (tuple, list))
        else (parameter_and_buffer_dicts,)
    )
    values: dict[str, Any] = {}
    for d in dicts:
        for name, value in d.items():
            if name in values:
                raise ValueError(f"functional_call: {name!r} appears in more than one dict")
            values[name] = value
    known = dict(module.named_parameters())
    known.update(dict(module.named_buffers()))
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise RuntimeError(f"functional_call: the module has no parameter or buffer {unknown[0]!r}")
    if strict:
        missing = sorted(set(known) - set(values))
        if missing:
            raise RuntimeError(f"functional_call: strict=True and {missing[0]!r} was not given")
    swapped = []
    try:
        for name, value in values.items():
            owner, leaf = _owner(module, name)
            store = owner._parameters if leaf in owner._parameters else owner._buffers
            swapped.append((store, leaf, store[leaf]))
            store[leaf] = value  # straight into the store: a plain tensor is no Parameter
        if not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, original in reversed(swapped):
            store[leaf] = original


def _owner(module: Any, name: str) -> tuple[Any, str]:
    """``'0.weight'`` -> (the submodule ``0``, ``'weight'``)."""
    *path, leaf = name.split(".")
    for part in path:
        module = module._modules[part]
    return module, leaf

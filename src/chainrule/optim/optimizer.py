"""The optimizer base class: parameter groups, per-parameter state, and the step loop.

Every optimizer in chainrule is this class plus one method, ``_update``, which changes one
parameter's array in place from its gradient. Everything else (groups, ``zero_grad``,
``state_dict``) lives here once, in PyTorch's layout, so a student who learns it here can read
a torch checkpoint.

Updates work on the raw NumPy arrays (``p.numpy()``, ``p.grad.numpy()``), never on Tensors: the
autograd graph never sees them, so no ``no_grad`` block is needed, and every operation can
write into an existing array (``out=``, ``+=``) instead of allocating a new one each step.

Float32 parameters stay float32: Python-float hyperparameters are cast to the array's dtype
(NumPy 2 rules). Results match torch to float32 rounding, not bit for bit: torch's CPU kernels
fuse ``p + α·g`` into one multiply-add (one rounding), NumPy rounds twice (≤ 1 ulp per step).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from chainrule._tensor import Tensor

# What an optimizer accepts: Parameters, or dicts {"params": [...], "lr": ...} (param groups).
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]
State = dict[str, Any]  # one parameter's optimizer state, e.g. {"step": 3, "exp_avg": ndarray}


# A set's order changes between runs, and state_dict refers to parameters by position.
_SET_MESSAGE = (
    "optimizer parameters need to be organized in ordered collections, but the "
    "ordering of tensors in sets will change between runs. Please use a list instead."
)


class _Required:
    """Marks a hyperparameter that has no default and must come from each param group."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Hold parameter groups and per-parameter state; subclasses implement only ``_update``.

    ``step()`` visits every parameter that has a gradient and calls
    ``_update(param, grad, state, group)`` with NumPy arrays, the parameter's state dict,
    and its group's hyperparameters.

    >>> from chainrule.nn import Parameter
    >>> from chainrule.optim import SGD
    >>> w = Parameter([1.0, 2.0])
    >>> opt = SGD([w], lr=0.1)
    >>> opt.param_groups[0]["lr"]
    0.1
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        # Keyed by the parameter itself (Tensors hash by identity, as in torch); a missing
        # entry starts as an empty dict, which is how _update knows it is the first step.
        self.state: defaultdict[Tensor, State] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        # Scratch arrays shared by all parameters (one flat buffer per slot and dtype), so a
        # step allocates nothing after the first: see _workspace.
        self._workspaces: dict[tuple[int, np.dtype], np.ndarray] = {}

        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {type(params).__name__}"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- the one method a subclass writes -------------------------------------------------------
    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: State, group: dict[str, Any]
    ) -> None:
        """Change ``param`` in place using ``grad``; keep anything that persists in ``state``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ---- the step loop --------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()`` if one is given.

        Parameters whose ``.grad`` is None (unused in the forward pass, or frozen) are skipped
        and get no state, exactly as in PyTorch.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad  # the slot itself: parameters are leaves, so .grad never warns
                if grad is None:
                    continue
                self._update(p._data, grad._data, self.state[p], group)
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: drop it (``None``, the default) or fill it with 0.

        ``None`` is PyTorch's default since 2.0: it frees memory, and the next backward writes
        a fresh gradient instead of adding into zeros. Forgetting to call this makes backward
        *accumulate*, the most common training-loop bug.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.numpy().fill(0)

    # ---- groups ---------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones use defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            group.setdefault(name, default)

        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ---- shared helpers for subclasses ----------------------------------------------------------
    def _workspace(self, like: np.ndarray, slot: int = 0) -> np.ndarray:
        """Return a scratch array shaped like ``like``, reused across parameters and steps.

        Only one parameter is updated at a time, so one flat buffer per slot (sized for the
        largest parameter) serves them all; a view of it costs no allocation.
        """
        key = (slot, like.dtype)
        buf = self._workspaces.get(key)
        if buf is None or buf.size < like.size:
            buf = self._workspaces[key] = np.empty(like.size, dtype=like.dtype)
        return buf[: like.size].reshape(like.shape)

    def _effective_grad(
        self, param: np.ndarray, grad: np.ndarray, maximize: bool, weight_decay: float
    ) -> np.ndarray:
        """Return ``g = ±grad + weight_decay·param`` (L2 penalty), negating first as torch does.

        Without maximize or weight decay this is ``grad`` itself: no copy.
        """
        if not maximize and weight_decay == 0:
            return grad
        g = self._workspace(param, 0)
        if weight_decay == 0:
            np.negative(grad, out=g)
        else:
            np.multiply(param, weight_decay, out=g)
            if maximize:
                g -= grad  # -grad + wd·p
            else:
                g += grad
        return g

    # ---- checkpoints ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Return ``{"state": {index: {...}}, "param_groups": [...]}`` in PyTorch's layout.

        Parameters are referred to by their integer position across all groups, so the dict
        can be loaded into a fresh optimizer over a fresh model. State arrays are NumPy copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for p, s in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (arrays are copied and cast)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, saved in zip(self.param_groups, saved_groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
                )

        by_index = {
            i: p
            for mine, saved in zip(self.param_groups, saved_groups)
            for i, p in zip(saved["params"], mine["params"])
        }
        self.state = defaultdict(dict)
        for i, saved_state in state_dict["state"].items():
            if i not in by_index:
                continue
            p = by_index[i]
            # Arrays are cast to the parameter's dtype (a float64 checkpoint into a float32
            # model stays float32) and copied, so the checkpoint is never mutated by training.
            self.state[p] = {
                k: np.array(v, dtype=p.dtype.dtype) if k != "step" and _is_array(v) else v
                for k, v in saved_state.items()
            }
        self.param_groups = [
            dict({k: v for k, v in saved.items() if k != "params"}, params=mine["params"])
            for mine, saved in zip(self.param_groups, saved_groups)
        ]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _is_array(value: Any) -> bool:
    return isinstance(value, (np.ndarray, Tensor))

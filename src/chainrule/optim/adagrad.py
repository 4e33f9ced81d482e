"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.optimizer import Optimizer, ParamsT, State


class Adagrad(Optimizer):
    """Divide each step by the root of the *sum* of all past squared gradients (Duchi et al., 2011).

    With ``g = ∇f(θ) + λθ`` at step t:

        s ← s + g²,   θ ← θ − lr / (1 + (t − 1)·lr_decay) · g / (√s + ε)

    Coordinates with large past gradients take ever smaller steps; rare features keep larger
    ones. ``s`` starts at ``initial_accumulator_value``.

    >>> from chainrule import Tensor
    >>> from chainrule.nn import Parameter
    >>> w = Parameter([1.0])
    >>> w.grad = Tensor([2.0])
    >>> Adagrad([w], lr=0.1).step()
    >>> round(w.data.item(), 4)   # 1 − 0.1 · 2 / √4
    0.9
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: State, group: dict[str, Any]
    ) -> None:
        if not state:
            # torch fills this state when the optimizer is made; here on the first step,
            # which gives the same numbers (state_dict differs only before any step).
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        g = self._effective_grad(param, grad, group["maximize"], group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        tmp = self._workspace(param, 1)
        np.multiply(g, g, out=tmp)
        s += tmp
        denom = np.sqrt(s, out=self._workspace(param, 2))
        denom += group["eps"]
        np.divide(g, denom, out=tmp)
        tmp *= -clr
        param += tmp

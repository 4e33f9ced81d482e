"""RMSprop: per-coordinate step sizes from a running average of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.optimizer import Optimizer, ParamsT, State


class RMSprop(Optimizer):
    """Divide each step by a running root-mean-square of the gradient (Hinton's lecture 6e).

    With ``g = ∇f(θ) + λθ`` (negated first if ``maximize``):

        v ← α v + (1 − α) g²
        d = √(v − ḡ²) + ε  with ḡ ← α ḡ + (1 − α) g  if centered,  else  √v + ε
        b ← μ b + g / d,  θ ← θ − lr · b   if momentum μ > 0,  else  θ ← θ − lr · g / d

    Centering divides by an estimate of the gradient's standard deviation instead of its RMS.

    >>> from chainrule import Tensor
    >>> from chainrule.nn import Parameter
    >>> w = Parameter([1.0])
    >>> w.grad = Tensor([2.0])
    >>> RMSprop([w], lr=0.01).step()
    >>> round(w.data.item(), 4)   # 1 − 0.01 · 2 / √(0.01 · 4)
    0.9
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: State, group: dict[str, Any]
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        g = self._effective_grad(param, grad, group["maximize"], group["weight_decay"])
        v = state["square_avg"]
        tmp = self._workspace(param, 1)

        v *= alpha  # v ← αv + (1 − α) g²
        np.multiply(g, g, out=tmp)
        tmp *= 1 - alpha
        v += tmp
        denom = self._workspace(param, 2)
        if group["centered"]:
            mean = state["grad_avg"]  # ḡ ← ḡ + (1 − α)(g − ḡ), torch's lerp
            np.subtract(g, mean, out=tmp)
            tmp *= 1 - alpha
            mean += tmp
            np.multiply(mean, mean, out=tmp)
            np.subtract(v, tmp, out=denom)
            np.sqrt(denom, out=denom)
        else:
            np.sqrt(v, out=denom)
        denom += group["eps"]

        np.divide(g, denom, out=tmp)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += tmp
            np.multiply(buf, -group["lr"], out=tmp)
        else:
            tmp *= -group["lr"]
        param += tmp

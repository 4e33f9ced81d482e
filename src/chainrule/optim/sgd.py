"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.optimizer import Optimizer, ParamsT, State


class SGD(Optimizer):
    """Step each parameter against its gradient, optionally with a momentum buffer.

    With ``g = ∇f(θ) + λθ`` (negated first if ``maximize``) and momentum ``μ``:

        b₁ = g;  bₜ = μ bₜ₋₁ + (1 − τ) g        (τ = dampening; not applied on the first step)
        g ← g + μ bₜ  if nesterov  else  bₜ
        θ ← θ − lr · g

    This is PyTorch's formulation (the buffer starts *at* the first gradient, and ``lr``
    multiplies the whole velocity), which differs from Sutskever et al.'s ``v = μv + lr·g``.

    >>> from chainrule import Tensor
    >>> from chainrule.nn import Parameter
    >>> w = Parameter([1.0, -2.0])
    >>> w.grad = Tensor([0.5, 0.5])
    >>> SGD([w], lr=0.1).step()
    >>> w.data.tolist()
    [0.949999988079071, -2.049999952316284]
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: State, group: dict[str, Any]
    ) -> None:
        g = self._effective_grad(param, grad, group["maximize"], group["weight_decay"])
        momentum = group["momentum"]
        tmp = self._workspace(param, 1)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # The first step seeds the buffer with g itself, undamped (torch's choice).
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                if group["dampening"] == 0:
                    buf += g  # skip a multiply by exactly 1
                else:
                    np.multiply(g, 1 - group["dampening"], out=tmp)
                    buf += tmp
            if group["nesterov"]:
                # Look ahead: g + μ·b. Written into slot 0, which may already hold g; that is fine
                # because numpy reads g elementwise before overwriting it.
                np.multiply(buf, momentum, out=tmp)
                g = np.add(g, tmp, out=self._workspace(param, 0))
            else:
                g = buf
        np.multiply(g, -group["lr"], out=tmp)
        param += tmp

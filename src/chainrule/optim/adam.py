"""Adam and AdamW, with PyTorch's bias corrections, AMSGrad and order of operations."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.optimizer import Optimizer, ParamsT, State


class Adam(Optimizer):
    """Scale each step by running estimates of the gradient's first and second moments.

    With ``g = ∇f(θ) + λθ`` (L2, or none if ``decoupled_weight_decay``), at step t:

        m ← β₁ m + (1 − β₁) g              v ← β₂ v + (1 − β₂) g²
        v̂ = max(v̂, v) if amsgrad else v
        θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    The bias corrections undo the zero start of m and v. The arithmetic follows torch's
    order (m by lerp, ε added after dividing by √(1 − β₂ᵗ)), so float32 trajectories match.

    >>> from chainrule import Tensor
    >>> from chainrule.nn import Parameter
    >>> w = Parameter([1.0, -2.0])
    >>> w.grad = Tensor([0.5, -3.0])
    >>> Adam([w], lr=0.1).step()
    >>> [round(x, 4) for x in w.data.tolist()]   # the first step moves each weight by ≈ lr
    [0.9, -1.9]
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: State, group: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), eps, wd = (
            group["lr"],
            group["betas"],
            group["eps"],
            group["weight_decay"],
        )
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)

        if group["decoupled_weight_decay"]:
            g = self._effective_grad(param, grad, group["maximize"], 0)
            if wd != 0:
                param *= 1 - lr * wd  # AdamW: shrink θ directly; the decay never enters m or v
        else:
            g = self._effective_grad(param, grad, group["maximize"], wd)

        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self._workspace(param, 1)

        # m ← m + (1 − β₁)(g − m): algebraically β₁m + (1 − β₁)g, in the form torch's lerp uses.
        np.subtract(g, m, out=tmp)
        tmp *= 1 - beta1
        m += tmp
        # v ← β₂ v + ((1 − β₂) g) g
        v *= beta2
        np.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v += tmp

        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]

        # Bias corrections are Python floats (double); numpy casts them to param's dtype.
        step_size = lr / (1 - beta1**t)
        denom = np.sqrt(v, out=tmp)
        denom /= (1 - beta2**t) ** 0.5
        denom += eps
        # g is no longer needed, so slot 0 holds the update: (−step_size · m) / denom.
        update = np.multiply(m, -step_size, out=self._workspace(param, 0))
        update /= denom
        param += update


class AdamW(Adam):
    """Adam with decoupled weight decay: ``θ ← θ(1 − lr·λ)`` before the Adam step.

    Unlike Adam's L2 term, the decay is not rescaled by √v̂, so every weight shrinks at the
    same rate (Loshchilov & Hutter, 2019). Default ``weight_decay`` is 1e-2, as in torch.

    >>> from chainrule import Tensor
    >>> from chainrule.nn import Parameter
    >>> w = Parameter([1.0])
    >>> w.grad = Tensor([0.0])
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step()
    >>> round(w.data.item(), 6)   # 1 · (1 − 0.1·0.5); a zero gradient adds no Adam step
    0.95
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

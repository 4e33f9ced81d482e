"""Loss modules: thin wrappers that store ``reduction`` and call ``chainrule.nn.functional``.

``reduction`` decides how per-example losses become one number: ``'mean'`` (the default,
so the loss and lr do not scale with batch size), ``'sum'``, or ``'none'`` (one per example).
"""

from __future__ import annotations

from typing import Literal

from chainrule._tensor import Tensor
from chainrule.nn import functional as F
from chainrule.nn.module import Module

Reduction = Literal["mean", "sum", "none"]
_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    """Base class: validates and stores ``reduction``."""

    def __init__(self, reduction: Reduction = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
            )
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """Base class for losses with optional per-class (or per-element) ``weight``, kept as a buffer.

    Options after ``weight`` are keyword-only: torch's deprecated positional ``size_average``
    and ``reduce`` arguments do not exist here.
    """

    def __init__(self, weight: Tensor | None = None, *, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ``ℓᵢ = (xᵢ − yᵢ)²``, reduced; ``dℓ/dx = 2(x − y)``.

    >>> from chainrule import Tensor
    >>> MSELoss()(Tensor([1.0, 3.0]), Tensor([0.0, 0.0])).item()
    5.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``ℓᵢ = |xᵢ − yᵢ|``, reduced.

    >>> from chainrule import Tensor
    >>> L1Loss()(Tensor([1.0, -3.0]), Tensor([0.0, 0.0])).item()
    2.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities: ``ℓᵢ = −[yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)]``.

    Prefer ``BCEWithLogitsLoss`` on raw scores: it is stable where ``p`` rounds to 0 or 1.

    >>> from chainrule import Tensor
    >>> round(BCELoss()(Tensor([0.5]), Tensor([1.0])).item(), 4)   # −log 0.5
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on logits ``z``: ``BCE(σ(z), y)``, fused; ``dℓ/dz = σ(z) − y``.

    >>> from chainrule import Tensor
    >>> round(BCEWithLogitsLoss()(Tensor([0.0]), Tensor([1.0])).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction
        )


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits (B, K) against integer class targets (B,): ``ℓᵢ = −log softmax(zᵢ)[yᵢ]``.

    Takes logits, not probabilities: log-softmax is computed stably in one step, and the
    gradient is simply ``softmax(z) − onehot(y)`` (Lecture 1, P4–P5). ``weight`` weighs
    classes, targets equal to ``ignore_index`` are skipped, and ``label_smoothing`` mixes
    the one-hot target with the uniform distribution, all as in torch.

    >>> import numpy as np
    >>> from chainrule import Tensor
    >>> round(CrossEntropyLoss()(Tensor([[3.0, 1.0, -1.0]]), chainrule.tensor([0])).item(), 4)
    0.1429
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        *,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction=reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (B, K) at integer targets: ``ℓᵢ = −xᵢ[yᵢ]``.

    ``NLLLoss(log_softmax(z))`` equals ``CrossEntropyLoss(z)``.

    >>> import numpy as np
    >>> from chainrule import Tensor
    >>> NLLLoss()(Tensor([[-0.5, -2.0]]), chainrule.tensor([1])).item()
    2.0
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        *,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(weight, reduction=reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class SmoothL1Loss(_Loss):
    """``½d²/β`` where ``|d| < β``, else ``|d| − ½β`` (d = x − y): MSE near 0, L1 for outliers.

    >>> SmoothL1Loss()(chainrule.tensor([0.5, 3.0]), chainrule.tensor([0.0, 0.0]))
    tensor(1.3125)
    """

    def __init__(self, reduction: Reduction = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``½d²`` where ``|d| < δ``, else ``δ(|d| − ½δ)``: SmoothL1Loss(beta=δ) scaled by δ.

    >>> HuberLoss(delta=2.0)(chainrule.tensor([0.5, 3.0]), chainrule.tensor([0.0, 0.0]))
    tensor(2.0625)
    """

    def __init__(self, reduction: Reduction = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """KL divergence ``Σ p (log p − log q)`` of log-probabilities ``input`` (log q) from ``target`` (p).

    ``reduction='batchmean'`` gives the KL divergence per example (the math's definition);
    ``'mean'`` divides by the number of elements, as torch does (with its warning).
    ``log_target=True`` takes log p as the target.

    >>> KLDivLoss(reduction="batchmean")
    KLDivLoss()
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        if reduction not in ("mean", "batchmean", "sum", "none"):
            raise ValueError(
                f"KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}"
            )
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MarginRankingLoss(_Loss):
    """``max(0, −y(x₁ − x₂) + margin)`` with y = ±1 saying which input should rank higher.

    >>> MarginRankingLoss()(chainrule.tensor([1.0]), chainrule.tensor([2.0]), chainrule.tensor([1.0]))
    tensor(1.)
    """

    def __init__(self, margin: float = 0.0, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` where y = 1 and ``max(0, margin − x)`` where y = −1, for distances x.

    >>> HingeEmbeddingLoss()(chainrule.tensor([0.3, 0.2]), chainrule.tensor([1.0, -1.0]))
    tensor(0.5500)
    """

    def __init__(self, margin: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge ``Σ_{i≠y} max(0, margin − x[y] + x[i])^p / C`` on scores (N, C).

    >>> MultiMarginLoss()(chainrule.tensor([[0.1, 0.2, 0.4, 0.8]]), chainrule.tensor([3]))
    tensor(0.3250)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        *,
        reduction: Reduction = "mean",
    ) -> None:
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.ndim}D instead"
            )
        super().__init__(weight, reduction=reduction)
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )

"""Distance modules: cosine similarity and the p-norm distance between paired rows."""

from __future__ import annotations

from chainrule._tensor import Tensor
from chainrule.nn import functional as F
from chainrule.nn.module import Module


class CosineSimilarity(Module):
    """Return ``x₁·x₂ / (max(‖x₁‖, eps) · max(‖x₂‖, eps))`` along ``dim``.

    >>> CosineSimilarity()(chainrule.tensor([[1.0, 0.0]]), chainrule.tensor([[0.0, 2.0]]))
    tensor([0.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """Return ``‖x₁ − x₂ + eps‖_p`` along the last dimension, one distance per row pair.

    >>> PairwiseDistance(eps=0.0)(chainrule.tensor([[0.0, 0.0]]), chainrule.tensor([[3.0, 4.0]]))
    tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

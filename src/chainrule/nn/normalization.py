"""Normalisation layers: BatchNorm1d (statistics over the batch) and LayerNorm (over features).

Both rescale activations to mean 0 and variance 1 and then apply a learnable scale γ
(``weight``) and shift β (``bias``). BatchNorm averages over the examples of a batch, so it
behaves differently in training (batch statistics, running averages updated) and evaluation
(the running averages); LayerNorm normalises each example on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.nn import functional as F
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter


class BatchNorm1d(Module):
    """Normalise each feature over the batch: ``y = γ (x − μ_B) / √(σ²_B + eps) + β``.

    Input (N, C) or (N, C, L). In training, the batch's mean and biased variance normalise, and
    ``running_mean``/``running_var`` (buffers) move towards them with ``momentum``
    (``momentum=None``: a cumulative average); ``num_batches_tracked`` counts the batches. In
    ``eval()`` the running statistics are used instead, so one example at a time works. Without
    ``track_running_stats`` the batch statistics are used in both modes.

    >>> bn = BatchNorm1d(3)
    >>> bn
    BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    >>> [name for name, _ in bn.state_dict().items()]
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.use_bias = affine and bias
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Set the running mean to 0, the running variance to 1 and the batch count to 0."""
        if self.track_running_stats:
            self.running_mean.numpy().fill(0)
            self.running_var.numpy().fill(1)
            self.num_batches_tracked.numpy().fill(0)

    def reset_parameters(self) -> None:
        """Reset the running statistics, γ to 1 and β to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.numpy().fill(1)
        if self.bias is not None:
            self.bias.numpy().fill(0)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"running_mean should contain {input.shape[1]} elements not {self.num_features}"
            )
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.numpy()[...] += 1
            if momentum is None:  # cumulative moving average: the k-th batch weighs 1/k
                momentum = 1.0 / int(self.num_batches_tracked.item())
        # Batch statistics in training, or whenever there are no running ones to use.
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(
            input,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.use_bias}, "
            f"track_running_stats={self.track_running_stats}"
        )


class LayerNorm(Module):
    """Normalise each example over its last dimensions: ``y = γ (x − mean) / √(var + eps) + β``.

    ``normalized_shape`` is the shape of those last dimensions (an int for the last one); γ and
    β have that shape. Same in training and evaluation.

    >>> ln = LayerNorm(4)
    >>> ln, ln.weight.shape
    (LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True), chainrule.Size([4]))
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.use_bias = elementwise_affine and bias
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Set γ to 1 and β to 0."""
        if self.weight is not None:
            self.weight.numpy().fill(1)
        if self.bias is not None:
            self.bias.numpy().fill(0)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.use_bias}"
        )

"""Layers: Linear, Bilinear, Embedding, Dropout, Flatten/Unflatten and Identity.

Each layer is a thin Module over one function in ``chainrule.nn.functional``: the math and
its gradient live there, the layer only holds parameters and settings. Activations are in
``activations.py``, normalisation in ``normalization.py``, containers in ``containers.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter


class Linear(Module):
    """Apply an affine map to the last dimension: ``y = x Wᵀ + b``.

    Shapes: x (*, in_features), W (out_features, in_features), b (out_features,),
    y (*, out_features). Backward: ``dL/dW = δᵀ x``, ``dL/db = Σ δ``, ``dL/dx = δ W``.

    Initialised as in PyTorch: W by ``kaiming_uniform_(a=√5)`` and b alike, both
    U(−1/√in_features, 1/√in_features), which keeps the output's scale near the input's.

    >>> from chainrule import Tensor
    >>> layer = Linear(784, 256)
    >>> layer.weight.shape, layer.bias.shape
    (chainrule.Size([256, 784]), chainrule.Size([256]))
    >>> layer(Tensor(np.zeros((32, 784), dtype=np.float32))).shape
    chainrule.Size([32, 256])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights and biases from PyTorch's default distribution."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Return the input unchanged (a placeholder, e.g. to switch a layer off).

    >>> Identity()
    Identity()
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()  # ignores its arguments, as torch's does, so it can replace any layer

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one, e.g. images (B, 1, 28, 28) → (B, 784).

    >>> from chainrule import Tensor
    >>> Flatten()(Tensor(np.zeros((2, 1, 28, 28)))).shape
    chainrule.Size([2, 784])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale survivors by ``1/(1 − p)``.

    The scaling keeps the expected activation unchanged, so evaluation (``model.eval()``)
    simply passes the input through. Differs from torch: no ``inplace`` option, so the repr
    is ``Dropout(p=0.5)`` rather than ``Dropout(p=0.5, inplace=False)``.

    >>> from chainrule import Tensor
    >>> drop = Dropout(0.5).eval()
    >>> drop(Tensor([1.0, 2.0])).data.tolist()
    [1.0, 2.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = float(p)

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, e.g. (B, 784) → (B, 1, 28, 28).

    >>> Unflatten(1, (1, 28, 28))(chainrule.zeros(2, 784)).shape
    chainrule.Size([2, 1, 28, 28])
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(
                "unflattened_size must be tuple of ints, but found type {}".format(
                    type(unflattened_size).__name__
                )
            )
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Bilinear(Module):
    """Apply ``yₖ = x₁ᵀ Aₖ x₂ + bₖ`` with weight A (out_features, in1_features, in2_features).

    Initialised as torch does: A and b from U(−1/√in1_features, 1/√in1_features).

    >>> Bilinear(3, 4, 2)(chainrule.zeros(5, 3), chainrule.zeros(5, 4)).shape
    chainrule.Size([5, 2])
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        shape = (out_features, in1_features, in2_features)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights and biases from U(−1/√in1_features, 1/√in1_features)."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Embedding(Module):
    """A learnable lookup table: row ``i`` of ``weight`` (num_embeddings, embedding_dim) is token i's vector.

    Rows start from N(0, 1), as in torch; the row at ``padding_idx`` starts at zero and gets
    no gradient, so padding tokens stay the zero vector. Embedding a one-hot vector through a
    Linear layer gives the same result; the lookup just skips the multiplications by zero.

    >>> emb = Embedding(10, 3, padding_idx=0)
    >>> emb(chainrule.tensor([[0, 4]])).shape, emb.weight[0].tolist()
    (chainrule.Size([1, 2, 3]), [0.0, 0.0, 0.0])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dtype = np.dtype(np.float32 if dtype is None else dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Draw rows from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.numpy()[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """Make an Embedding whose table is ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

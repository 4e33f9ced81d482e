"""Activation modules: each is a thin Module over one function in ``chainrule.nn.functional``.

The math and its gradient live in the function; the module only stores settings (a slope, a
threshold, a dim), and PReLU its learnable slopes. ``inplace=`` is accepted for torch's
signatures and ignored: chainrule's activations always return a new tensor.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from chainrule._tensor import Tensor
from chainrule.nn import functional as F
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter


class _Elementwise(Module):
    """Base for activations with an ``inplace`` flag (accepted, ignored) and no other settings."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_Elementwise):
    """Apply ``max(0, x)`` elementwise; its gradient is 1 where x > 0 and 0 elsewhere.

    >>> from chainrule import Tensor
    >>> ReLU()(Tensor([-1.0, 2.0])).data.tolist()
    [0.0, 2.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)


class LeakyReLU(Module):
    """Apply ``x if x > 0 else negative_slope · x`` elementwise, so negative inputs keep a gradient.

    >>> from chainrule import Tensor
    >>> LeakyReLU(0.1)(Tensor([-1.0, 2.0])).data.tolist()
    [-0.10000000149011612, 2.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """Apply ``σ(x) = 1 / (1 + e⁻ˣ)`` elementwise; ``σ' = σ(1 − σ) ≤ 1/4``.

    >>> from chainrule import Tensor
    >>> Sigmoid()(Tensor([0.0])).data.tolist()
    [0.5]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """Apply ``tanh(x)`` elementwise; ``tanh' = 1 − tanh²``.

    >>> from chainrule import Tensor
    >>> Tanh()(Tensor([0.0])).data.tolist()
    [0.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class GELU(Module):
    """Apply ``x · Φ(x)`` elementwise (Φ the standard normal CDF), or its tanh approximation.

    >>> GELU(approximate="tanh")
    GELU(approximate='tanh')
    """

    def __init__(self, approximate: Literal["none", "tanh"] = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """Turn scores along ``dim`` into probabilities: ``exp(xᵢ) / Σⱼ exp(xⱼ)``.

    Differs from torch: ``dim`` defaults to -1 (the class dimension of a ``(B, K)`` batch)
    instead of torch's deprecated guess. For training, feed logits to ``CrossEntropyLoss``
    instead: it fuses log-softmax for stability.

    >>> from chainrule import Tensor
    >>> [round(p, 2) for p in Softmax()(Tensor([2.0, 1.0, 0.1])).data.tolist()]
    [0.66, 0.24, 0.1]
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class ELU(Module):
    """Apply ``x if x > 0 else α(eˣ − 1)``: smooth for x < 0, with mean activations nearer 0.

    >>> ELU()(chainrule.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(_Elementwise):
    """Apply ``scale · elu(x, α)`` with the self-normalising constants (α ≈ 1.6733, scale ≈ 1.0507).

    >>> SELU()(chainrule.tensor([1.0]))
    tensor([1.0507])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input)


class SiLU(_Elementwise):
    """Apply ``x · σ(x)`` (swish).

    >>> SiLU()(chainrule.tensor([1.0]))
    tensor([0.7311])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)


class Mish(_Elementwise):
    """Apply ``x · tanh(softplus(x))``.

    >>> Mish()(chainrule.tensor([1.0]))
    tensor([0.8651])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input)


class Softplus(Module):
    """Apply ``log(1 + e^(βx)) / β``, linear where ``βx > threshold``.

    >>> Softplus()
    Softplus(beta=1.0, threshold=20.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """Apply ``clamp(x, min_val, max_val)``; the gradient is 1 strictly inside.

    >>> Hardtanh()
    Hardtanh(min_val=-1.0, max_val=1.0)
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val >= max_val:
            raise AssertionError("max_val must be greater than min_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """Apply ``min(max(0, x), 6)``.

    >>> ReLU6()(chainrule.tensor([-1.0, 8.0]))
    tensor([0., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(_Elementwise):
    """Apply ``relu6(x + 3) / 6``.

    >>> Hardsigmoid()(chainrule.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input)


class Hardswish(_Elementwise):
    """Apply ``x · relu6(x + 3) / 6``.

    >>> Hardswish()(chainrule.tensor([4.0]))
    tensor([4.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input)


class LogSigmoid(Module):
    """Apply ``log σ(x)``, computed stably.

    >>> LogSigmoid()(chainrule.tensor([0.0]))
    tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softsign(Module):
    """Apply ``x / (1 + |x|)``.

    >>> Softsign()(chainrule.tensor([1.0]))
    tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """Apply ``x − tanh(x)``.

    >>> Tanhshrink()(chainrule.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Threshold(Module):
    """Keep x where ``x > threshold``, else write ``value``.

    >>> Threshold(0.1, 20.0)
    Threshold(threshold=0.1, value=20.0)
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class GLU(Module):
    """Split the input in halves a, b along ``dim`` and return ``a · σ(b)``.

    >>> GLU()
    GLU(dim=-1)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """Apply ``x if x > 0 else a·x`` with learnable slope(s) ``a``, one or one per channel.

    >>> PReLU().weight
    Parameter containing:
    tensor([0.2500], requires_grad=True)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class LogSoftmax(Module):
    """Turn scores along ``dim`` into log-probabilities: ``xᵢ − log Σⱼ exp(xⱼ)``.

    Feed its output to ``NLLLoss``; the pair equals ``CrossEntropyLoss`` on the scores.

    >>> LogSoftmax(dim=1)
    LogSoftmax(dim=1)
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    """Turn scores along ``dim`` into probabilities that favour the smallest: ``softmax(−x)``.

    >>> Softmin(dim=0)(chainrule.tensor([1.0, 2.0]))
    tensor([0.7311, 0.2689])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

"""Layers: Linear, the activations, Dropout, Flatten, Identity, and the containers.

Each layer is a thin Module over one function in ``chainrule.nn.functional``: the math and
its gradient live there, the layer only holds parameters and settings.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any, Literal, overload

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


class ReLU(Module):
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

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


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


class Sequential(Module):
    """Chain modules: the output of each is the input of the next.

    Takes modules positionally (named ``0``, ``1``, ...) or one OrderedDict of names to
    modules. Indexing with an int returns a module; with a slice, a Sequential that keeps
    the original names.

    >>> model = Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
    >>> len(model), type(model[1]).__name__, len(model[:2])
    (3, 'ReLU', 2)
    """

    @overload
    def __init__(self, *args: Module) -> None: ...
    @overload
    def __init__(self, arg: OrderedDict[str, Module]) -> None: ...

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def _index(self, idx: int) -> int:
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of length {n}")
        return idx % n

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[self._index(idx)]
        setattr(self, key, module)

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)
        for key in keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]:
            del self._modules[key]
        # Renumber, as torch does, so the names stay 0..n-1 and append() cannot collide.
        self.__dict__["_modules"] = OrderedDict(
            (str(i), m) for i, m in enumerate(self._modules.values())
        )

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position); return self."""
        self.add_module(str(len(self)), module)
        return self

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """Hold submodules in a list so they are registered (a plain Python list hides them).

    It has no ``forward``: iterate over it in your own. Unlike torch, the repr does not
    compress runs of identical layers.

    >>> blocks = ModuleList([Linear(8, 8) for _ in range(3)])
    >>> len(list(blocks.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx: int) -> int:
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of length {n}")
        return idx % n

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(self._index(idx))]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, str(self._index(idx)), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; return self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of ``modules``; return self."""
        for module in modules:
            self.append(module)
        return self

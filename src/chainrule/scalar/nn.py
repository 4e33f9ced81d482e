"""A micrograd-compatible neural network built from scalar ``Value``s.

``Neuron``, ``Layer`` and ``MLP`` have micrograd's names, constructor arguments and
behaviour (ReLU on hidden layers, a linear last layer, ``parameters()``,
``zero_grad()``, weights drawn from Python's ``random.uniform(-1, 1)``), so code
written for micrograd runs unchanged. ``activation=`` picks another non-linearity.

>>> import random; random.seed(0)
>>> model = MLP(2, [4, 1])
>>> len(model.parameters())      # (2*4 + 4) + (4*1 + 1)
17
>>> out = model([Value(1.0), Value(-2.0)])
>>> out.backward()
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Union

from chainrule.scalar.value import Value, linear

Input = Union[Value, float, int]

#: The activations a neuron may apply to its weighted sum (None: stay linear).
ACTIVATIONS = ("relu", "tanh", "sigmoid", None)


class Module:
    """Base class: something with parameters whose gradients can be reset."""

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    """One unit: act = Σ wᵢ xᵢ + b, then the activation.

    ``nonlin=False`` makes it linear (micrograd's argument); ``activation`` chooses
    'relu' (default), 'tanh', 'sigmoid' or None. ``fused=True`` (default) computes
    the weighted sum as one ``linear`` node; ``fused=False`` as micrograd does, one
    ``*`` and one ``+`` per input, which draws every multiply in the graph.
    """

    def __init__(
        self, nin: int, nonlin: bool = True, activation: str | None = "relu", fused: bool = True
    ) -> None:
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron needs a positive number of inputs, got nin={nin!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")
        self.w = [Value(random.uniform(-1, 1), label=f"w{i}") for i in range(nin)]
        self.b = Value(0.0, label="b")
        self.activation = activation if nonlin else None
        self.fused = fused

    @property
    def nonlin(self) -> bool:
        return self.activation is not None

    def __call__(self, x: Sequence[Input]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        # Σ wᵢ xᵢ + b as a single node: micrograd's sum((wi*xi ...), b), same numbers,
        # ~2n times fewer nodes. ``fused=False`` builds it from * and + instead.
        if self.fused:
            act = linear(self.w, x, self.b)
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.activation == "relu":
            return act.relu()
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "sigmoid":
            return act.sigmoid()
        return act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        kind = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", None: "Linear"}
        return f"{kind[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; returns a Value when ``nout == 1``."""

    def __init__(self, nin: int, nout: int, **kwargs: object) -> None:
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer needs a positive number of outputs, got nout={nout!r}")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multilayer perceptron: ``MLP(2, [16, 16, 1])`` is 2 → 16 → 16 → 1.

    Hidden layers use ``activation`` (ReLU by default); the last layer is linear.
    ``fused`` is passed to every ``Neuron``.
    """

    def __init__(
        self, nin: int, nouts: Sequence[int], activation: str | None = "relu", fused: bool = True
    ) -> None:
        if not nouts:
            raise ValueError("MLP needs at least one layer size in nouts, got []")
        sz = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != last, activation=activation, fused=fused)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):  # a 1-wide hidden layer still feeds a list onward
                x = [x] if layer is not self.layers[-1] else x
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

"""The multilayer perceptron of the lecture, built once for the whole package.

``build_mlp`` stacks ``Linear → activation`` blocks and ends with a ``Linear`` to the logits;
``ACTIVATIONS`` names the non-linearities it can put between them. The training app, the demos
and the lab all build their MLPs here (the scalar engine has its own, since it stands apart).
"""

from __future__ import annotations

from collections.abc import Sequence

from chainrule.nn.activations import GELU, ReLU, Sigmoid, Tanh
from chainrule.nn.containers import Sequential
from chainrule.nn.layers import Identity, Linear
from chainrule.nn.module import Module

__all__ = ["ACTIVATIONS", "build_mlp"]

#: The hidden layers' non-linearity, by name; "none" is the linear-collapse demo's Identity.
ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "gelu": GELU,
    "none": Identity,
}


def build_mlp(
    input_dim: int, hidden: Sequence[int], n_classes: int, activation: str = "relu"
) -> Sequential:
    """Stack ``Linear → activation`` blocks of widths ``hidden``, then a ``Linear`` to ``n_classes`` logits.

    No softmax at the end: ``cross_entropy`` takes logits (more stable, and its gradient is
    simply ``softmax(z) − onehot(y)``). Layers are numbered, so state_dict keys are ``0.weight``,
    ``0.bias``, ``2.weight``..., as a torch ``nn.Sequential`` names them.

    >>> [k for k in build_mlp(2, [8], 3, "tanh").state_dict()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {', '.join(ACTIVATIONS)}")
    layers: list[Module] = []
    width = input_dim
    for h in hidden:
        layers += [Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(Linear(width, n_classes))
    return Sequential(*layers)

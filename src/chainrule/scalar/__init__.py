"""The scalar engine: ``Value`` and a micrograd-compatible ``Neuron``/``Layer``/``MLP``.

Reverse mode is ``Value.backward``; ``grad`` and ``backward(create_graph=True)`` give
gradients that are Values (higher_order.py); ``Dual``, ``jvp`` and ``push_tangents`` are
forward mode (forward_mode.py).
"""

from chainrule.scalar.forward_mode import Dual, forward_gradient, jvp, push_tangents
from chainrule.scalar.graph import topological_order
from chainrule.scalar.higher_order import grad
from chainrule.scalar.nn import MLP, Layer, Module, Neuron
from chainrule.scalar.value import Value, bce_with_logits, linear

__all__ = [
    "Value",
    "bce_with_logits",
    "linear",
    "topological_order",
    "grad",
    "Dual",
    "jvp",
    "push_tangents",
    "forward_gradient",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
]

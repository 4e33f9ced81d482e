"""The scalar engine: ``Value`` and a micrograd-compatible ``Neuron``/``Layer``/``MLP``."""

from chainrule.scalar.nn import MLP, Layer, Module, Neuron
from chainrule.scalar.value import Value, bce_with_logits, linear, topological_order

__all__ = [
    "Value",
    "bce_with_logits",
    "linear",
    "topological_order",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
]

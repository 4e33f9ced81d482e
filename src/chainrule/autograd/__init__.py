"""The tensor engine's autograd: the rule table, grad mode, the graph, and the backward pass.

Read it in this order, each file a step further from the math:

- ``rules.py``: every primitive's forward and vector-Jacobian product, side by side (the table);
- ``registry.py``, ``shapes.py``, ``rule_helpers.py``: what the table is stored in, the one
  ``unbroadcast``, and the helpers the table calls (dtype promotion, erf, einsum parsing);
- ``grad_mode.py``: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``detect_anomaly``;
- ``graph.py``: the recorded :class:`Node` and the topological order;
- ``backward_pass.py``: the chain rule, applied node by node;
- ``higher_order.py``: the same pass on tensors, recorded (``create_graph=True``);
- ``forward_ad.py``: forward mode, dual tensors carrying tangents through each rule's JVP;
- ``functional.py``: whole Jacobians, Hessians, vjp/jvp/hvp of a function, built from those.

Nothing here imports the Tensor class: a tensor reaches the engine through a small protocol
(see ``graph.py``), so imports flow one way, from ``chainrule._tensor`` down into this package.
"""

from chainrule.autograd import (
    forward_ad,
    functional,
    rules,  # noqa: F401  (importing it fills the table)
)
from chainrule.autograd.backward_pass import StepCallback, backward, grad
from chainrule.autograd.grad_mode import (
    AnomalyError,
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from chainrule.autograd.graph import Node, topological_order
from chainrule.autograd.registry import RULES, Rule, get_rule, register
from chainrule.autograd.shapes import DTypeError, ShapeError, unbroadcast

__all__ = [
    "forward_ad",
    "functional",
    "Node",
    "backward",
    "grad",
    "no_grad",
    "inference_mode",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "topological_order",
    "detect_anomaly",
    "AnomalyError",
    "StepCallback",
    "Rule",
    "RULES",
    "register",
    "get_rule",
    "unbroadcast",
    "ShapeError",
    "DTypeError",
    "set_detect_anomaly",
]

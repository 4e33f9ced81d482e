"""The backward pass with ``create_graph=True``: the chain rule run on tensors, and recorded.

First-order ``backward`` (``backward_pass.py``) pushes NumPy arrays through each rule's ``vjp``
and records nothing: that is what keeps it fast. To differentiate a gradient again, the backward
pass must itself be a graph. This loop visits the nodes in the same order but calls each rule's
``graph_vjp``, which computes the same VJP with Tensor operations on the node's input tensors,
so every gradient it hands back has a ``grad_fn`` of its own: grad-of-grad to any order.

The two loops are kept apart on purpose: the higher-order machinery costs the first-order pass
nothing (not even a branch per node).

>>> from chainrule import Tensor
>>> from chainrule.autograd import grad
>>> x = Tensor(3.0, dtype="float64", requires_grad=True)
>>> (dx,) = grad(x**3, x, create_graph=True)  # 3x² = 27, itself differentiable
>>> grad(dx, x)  # 6x
(tensor(18., dtype=chainrule.float64),)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import versions
from chainrule.autograd.grad_mode import state
from chainrule.autograd.graph import FREED_MESSAGE, topological_order

__all__ = ["run_graph", "sum_to_shape"]

Tensor = Any  # anything with the graph protocol of ``autograd.graph``, plus Tensor methods


def run_graph(root: Tensor, seed: Tensor, retain_graph: bool, capture: dict | None) -> None:
    """Push the tensor ``seed`` = dL/d(root) down the graph, recording every step."""
    pending: dict[int, Tensor] = {id(root): seed}
    previous, state.grad_enabled = state.grad_enabled, True  # the backward ops must record
    try:
        for tensor in reversed(topological_order(root)):  # outputs before inputs
            g = pending.pop(id(tensor), None)
            if g is None:
                continue  # no gradient reached it
            if tensor._hooks:
                g = _run_hooks(tensor, g)
            node = tensor._node
            if node is not None and node.freed:
                raise RuntimeError(FREED_MESSAGE)
            _store(tensor, g, capture)
            if node is None:
                continue  # a leaf: the gradient comes to rest here
            for inp, gi in _send(node, g):
                earlier = pending.get(id(inp))
                pending[id(inp)] = gi if earlier is None else earlier + gi
            if not retain_graph:
                node.free()
    finally:
        state.grad_enabled = previous


def _send(node: Any, g: Tensor) -> list[tuple[Tensor, Tensor]]:
    """The node's differentiable VJP: (input, dL/d(input)) for each input that needs one."""
    rule = node.rule
    if rule.graph_vjp is None:
        raise RuntimeError(f"{rule.name}: second derivative not implemented")
    if node.clock != versions.clock.now:  # something was written in place since
        versions.check_unchanged(node, read_inputs=True)
    if node.hooks is not None:  # grad_fn.register_prehook: may replace dL/d(output)
        g = node.run_prehooks(g)
    grads = rule.graph_vjp(g, node.inputs, node.saved, node.needs)
    if node.hooks is not None:  # grad_fn.register_hook: may replace the inputs' gradients
        grads = node.run_posthooks(grads, g)
    sent = []
    for inp, needed, gi in zip(node.inputs, node.needs, grads):
        if not needed or gi is None:
            continue
        if not hasattr(gi, "_node"):  # a plain number or array: a constant gradient
            gi = g._wrap(np.broadcast_to(gi, inp._data.shape).astype(inp._data.dtype))
        if tuple(gi.shape) != inp._data.shape:
            if not rule.broadcasts:
                raise RuntimeError(
                    f"{rule.name}: graph_vjp returned a gradient of shape {tuple(gi.shape)} "
                    f"for an input of shape {inp._data.shape}"
                )
            gi = sum_to_shape(gi, inp._data.shape)
        sent.append((inp, gi))
    return sent


def sum_to_shape(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``unbroadcast`` with Tensor sums, so that undoing a broadcast is recorded too."""
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(dim=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(dim=axes, keepdim=True)
    return g


def _run_hooks(tensor: Tensor, g: Tensor) -> Tensor:
    """Each hook sees the gradient tensor (with its graph); one that returns a tensor replaces it."""
    for hook in list(tensor._hooks.values()):
        replaced = hook(g)
        if replaced is not None:
            if tuple(replaced.shape) != tuple(g.shape):
                raise RuntimeError(
                    f"hook: returned a gradient of shape {tuple(replaced.shape)}, "
                    f"expected {tuple(g.shape)}"
                )
            g = replaced
    return g


def _store(tensor: Tensor, g: Tensor, capture: dict | None) -> None:
    """Hand g to grad()'s caller, or add it to ``.grad`` (out of place: g has a graph)."""
    if capture is not None:
        if id(tensor) in capture:
            earlier = capture[id(tensor)]
            capture[id(tensor)] = g if earlier is None else earlier + g
    elif tensor._node is None or tensor._retains_grad:
        current = tensor._grad
        tensor._grad = g if current is None else current + g

"""The recorded graph: one :class:`Node` per op, and the order in which backward visits them.

How a graph looks (the same shape PyTorch uses):

- every tensor produced by a differentiable op holds one :class:`Node` (its ``grad_fn``);
- a node holds the op's rule, the arrays the rule saved in its forward pass, and the *input
  tensors* it was computed from. It never holds its output tensor, so there are no reference
  cycles and a graph dies as soon as its last tensor does;
- leaves (tensors you create) have no node; gradients stop there and accumulate into ``.grad``.

The engine never imports the Tensor class. It works on anything with this small protocol:
``_node`` (a Node or None), ``_data`` (the array), ``_requires_grad``, ``_grad``, ``_hooks``,
``_retains_grad``, and a ``_wrap(array)`` that builds a new graph-free tensor.
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd.registry import Rule

__all__ = ["Node", "topological_order"]


def _backward_class_name(op: str) -> str:
    # "log_softmax" -> "LogSoftmaxBackward", the way PyTorch names its grad_fn classes.
    return "".join(part.capitalize() for part in op.split("_")) + "Backward"


class Node:
    """One recorded op: its rule, what its forward saved, and the tensors it read.

    ``inputs`` holds every operand (tensors, or plain numbers/arrays that never need a grad);
    ``needs[i]`` says whether input ``i`` wants a gradient, so VJPs can skip the rest.
    """

    __slots__ = ("rule", "saved", "inputs", "needs", "freed")

    def __init__(self, rule: Rule, saved: Any, inputs: tuple, needs: tuple) -> None:
        self.rule = rule
        self.saved = saved
        self.inputs: tuple | None = inputs
        self.needs = needs
        self.freed = False

    @property
    def name(self) -> str:
        """The op's registered name, e.g. ``'mul'``."""
        return self.rule.name

    def free(self) -> None:
        """Drop saved arrays and input references (what ``retain_graph=False`` does)."""
        self.saved = None
        self.inputs = None
        self.freed = True

    def __repr__(self) -> str:
        return f"<{_backward_class_name(self.rule.name)}>"


# ------------------------------------------------------------------------------------------------
# Topological order (iterative: a 100k-op chain must not hit Python's recursion limit)
# --------------------------------------------------------------------------------------------------
def topological_order(root: Any) -> list[Any]:
    """Return every tensor that ``root`` depends on through grad-requiring edges, inputs first.

    Leaves appear too (so their hooks run once, on their summed gradient). The walk is an
    explicit-stack depth-first search; each tensor is appended after all of its inputs.
    """
    order: list[Any] = []
    visited: set[int] = {id(root)}
    # Two parallel stacks: the tensors on the current path, and for each, how many of its
    # inputs have been looked at so far.
    stack: list[Any] = [root]
    seen_inputs: list[int] = [0]
    while stack:
        tensor = stack[-1]
        node = tensor._node
        inputs = () if node is None or node.inputs is None else node.inputs
        i = seen_inputs[-1]
        descended = False
        while i < len(inputs):
            parent = inputs[i]
            i += 1
            if not node.needs[i - 1] or id(parent) in visited:
                continue
            visited.add(id(parent))
            if parent._node is None:  # a leaf has no inputs: place it straight away
                order.append(parent)
                continue
            seen_inputs[-1] = i
            stack.append(parent)
            seen_inputs.append(0)
            descended = True
            break
        if not descended:  # every input is already placed: this tensor can go
            stack.pop()
            seen_inputs.pop()
            order.append(tensor)
    return order

"""The order a scalar graph is walked in: every node a root depends on, inputs first.

Both modes of differentiation walk the same order. Reverse mode (``Value.backward``,
``higher_order.grad``) goes from the root back to the leaves, forward mode
(``forward_mode.push_tangents``) from the leaves up to the root. The order reads nodes only
through ``_inputs`` and ``_id`` (the creation serial), so this module needs no ``Value``.

>>> from chainrule.scalar import Value
>>> x = Value(2.0, label="x")
>>> y = x * x
>>> [v.label or v.op for v in topological_order(y + 1)]
['x', '*', '', '+']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chainrule.scalar.value import Value


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, inputs before outputs (root last).

    No recursion: a stack finds the reachable nodes, and because a node is always
    created after its inputs, sorting by creation serial gives a valid order.
    """
    seen = {root}
    stack = [root]
    nodes = []
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in node._inputs:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    nodes.sort(key=_serial_of)
    return nodes


def _serial_of(v: Value) -> int:
    return v._id

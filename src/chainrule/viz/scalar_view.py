"""The scalar engine as the viz package sees it: a ``Value`` graph as a drawing and a trace.

Both read the graph through ``Value``'s public attributes (``inputs``, ``local_grads``,
``op``, ``data``, ``grad``); the trace records the backward pass through its ``on_step`` seam.
"""

from __future__ import annotations

from chainrule.scalar import value as _value
from chainrule.scalar.value import Value, topological_order
from chainrule.viz.graph_spec import GraphNode, GraphSpec
from chainrule.viz.naming import fmt, node_names
from chainrule.viz.trace_table import Trace, TraceEdge, TraceStep

__all__ = ["scalar_graph", "scalar_trace"]


def scalar_graph(root: Value) -> GraphSpec:
    """Describe the graph of a scalar ``Value``: value boxes joined through op circles."""
    order = topological_order(root)
    names = node_names(order)
    spec = GraphSpec()
    for v in order:
        key = f"v{id(v)}"
        spec.nodes.append(
            GraphNode(key, "value", [names[id(v)], f"data {fmt(v.data)}", f"grad {fmt(v.grad)}"])
        )
        if v.op:
            op_key = f"op{id(v)}"
            spec.nodes.append(GraphNode(op_key, "op", [v.op]))
            spec.edges.append((op_key, key))
            spec.edges.extend((f"v{id(child)}", op_key) for child in v.inputs)
    return spec


def scalar_trace(root: Value) -> Trace:
    """Run ``root.backward()`` and return each node's step: upstream, local, downstream."""
    visited: list[tuple[Value, float]] = []
    root.backward(on_step=lambda node, upstream: visited.append((node, upstream)))
    order = topological_order(root)
    names = node_names(order)
    steps = []
    for i, (node, upstream) in enumerate(visited, start=1):
        edges = tuple(
            TraceEdge(names[id(child)], local, upstream * local)
            for child, local in zip(node.inputs, node.local_grads)
        )
        steps.append(TraceStep(i, names[id(node)], node.op, node.data, upstream, edges))
    leaves = {names[id(v)]: v.grad for v in order if v.is_leaf}
    labelled = frozenset(v.label for v in order if v.label)
    return Trace(names[id(root)], root.data, steps, leaves, labelled)


# ``Value.backward(trace=True)``, the older spelling of ``explain``, builds its table here.
_value.explainer = scalar_trace

"""The scalar engine as the viz package sees it: a ``Value`` graph as a drawing and a trace.

Both read the graph through ``Value``'s public attributes (``inputs``, ``local_grads``,
``op``, ``data``, ``grad``) and change nothing: the trace runs the chain rule on its own table.
"""

from __future__ import annotations

from collections.abc import Mapping

from chainrule.scalar import value as _value
from chainrule.scalar.forward_mode import push_tangents
from chainrule.scalar.higher_order import grad
from chainrule.scalar.value import Value, topological_order
from chainrule.viz.forward_trace import ForwardEdge, ForwardStep, ForwardTrace
from chainrule.viz.graph_spec import GraphNode, GraphSpec
from chainrule.viz.naming import fmt, node_names
from chainrule.viz.trace_table import Trace, TraceEdge, TraceStep, stored_grad_notes

__all__ = ["scalar_forward_trace", "scalar_graph", "scalar_trace"]


def _display_names(order: list[Value], names: Mapping[str, Value] | None) -> dict[int, str]:
    """Every node's name: the caller's ``names`` first (``{"z1": z1}``), then labels and defaults."""
    shown = node_names(order)
    shown.update({id(v): name for name, v in (names or {}).items()})
    return shown


def scalar_graph(root: Value, names: Mapping[str, Value] | None = None) -> GraphSpec:
    """Describe the graph of a scalar ``Value``: value boxes joined through op circles."""
    order = topological_order(root)
    shown = _display_names(order, names)
    spec = GraphSpec()
    for v in order:
        key = f"v{id(v)}"
        spec.nodes.append(
            GraphNode(key, "value", [shown[id(v)], f"data {fmt(v.data)}", f"grad {fmt(v.grad)}"])
        )
        if v.op:
            op_key = f"op{id(v)}"
            spec.nodes.append(GraphNode(op_key, "op", [v.op]))
            spec.edges.append((op_key, key))
            spec.edges.extend((f"v{id(child)}", op_key) for child in v.inputs)
    return spec


def scalar_trace(root: Value, names: Mapping[str, Value] | None = None) -> Trace:
    """The backward pass from ``root``, step by step, computed on the side: no ``.grad`` changes.

    The same loop as ``Value.backward`` (root first, ``downstream = upstream × local``), but
    the gradients go into a local table, so explaining a graph after ``backward()`` shows what
    one pass gives and never adds a second one into the leaves.
    """
    order = topological_order(root)
    shown = _display_names(order, names)
    grad = {id(root): 1.0}  # dL/d(node) of this pass, by node
    steps = []
    for node in reversed(order):  # root first: a node's gradient is complete when it is visited
        if not node.inputs:
            continue
        upstream = grad.get(id(node), 0.0)
        edges = []
        for child, local in zip(node.inputs, node.local_grads):
            grad[id(child)] = grad.get(id(child), 0.0) + upstream * local
            edges.append(TraceEdge(shown[id(child)], local, upstream * local))
        steps.append(
            TraceStep(len(steps) + 1, shown[id(node)], node.op, node.data, upstream, tuple(edges))
        )
    leaves = [v for v in order if v.is_leaf]
    computed = {shown[id(v)]: grad.get(id(v), 0.0) for v in leaves}
    # backward() sets the root's grad to 1; before any backward every grad is still 0.
    ran = root.grad != 0.0
    labelled = frozenset(v.label for v in order if v.label) | frozenset(names or {})
    # Report on the named leaves; constants (named by their value) only if nothing is named.
    reported = [v for v in leaves if shown[id(v)] in labelled] or leaves
    stored = {shown[id(v)]: (v.grad if ran else None) for v in reported}
    notes = stored_grad_notes(shown[id(root)], computed, stored, lambda a, b: a == b)
    return Trace(shown[id(root)], root.data, steps, computed, labelled, notes)


def scalar_forward_trace(
    root: Value, wrt: Value, names: Mapping[str, Value] | None = None
) -> ForwardTrace:
    """Forward mode on ``root``'s graph, seeded at ``wrt``, step by step; no ``.grad`` changes.

    The tangents come from ``scalar.forward_mode.push_tangents``; the reverse-mode value of
    the same derivative, for comparison, from ``scalar.grad``.
    """
    if not isinstance(wrt, Value):
        raise TypeError(
            f"explain(mode='forward') needs wrt= a leaf Value, got {type(wrt).__name__}"
        )
    order = topological_order(root)
    if wrt not in set(order):
        raise ValueError("explain(mode='forward'): wrt is not a value the root depends on")
    shown = _display_names(order, names)
    tangent = push_tangents(root, {wrt: 1.0})
    steps = []
    for node in order:  # inputs first: a node's tangent needs its inputs' tangents
        if node.is_leaf:
            continue
        edges = tuple(
            ForwardEdge(shown[id(c)], local, tangent[c], local * tangent[c])
            for c, local in zip(node.inputs, node.local_grads)
        )
        steps.append(
            ForwardStep(len(steps) + 1, shown[id(node)], node.op, node.data, edges, tangent[node])
        )
    (reverse,) = grad(root, [wrt])
    return ForwardTrace(shown[id(root)], shown[id(wrt)], steps, tangent[root], reverse.data)


# ``Value.backward(trace=True)``, the older spelling of ``backward`` + ``explain``, builds its
# table here.
_value.explainer = scalar_trace

"""Drawings and backprop traces for the tensor engine.

The same pictures as for scalars, with tensor facts: each box shows a tensor's name,
shape and dtype and a summary of its data and gradient (the values themselves when
there are at most four); each op circle names the primitive. The trace shows, per
op, the upstream gradient's shape, the op's local rule for each input (``g Wᵀ``,
from the rule table in ``chainrule.autograd.rules``, where g is the upstream gradient) and the
shape of what each input receives.

Names: pass ``names={"W1": model[0].weight, ...}`` or simply
``names=dict(model.named_parameters())``; other leaves are ``input``/``t<k>`` and
results are named after their op.

Both only look: the trace computes its gradients with ``autograd.grad`` (no ``.grad`` is
written, the graph is kept), and a graph that ``backward()`` already freed is refused by name
rather than drawn as a stub.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule import autograd
from chainrule._tensor import Tensor
from chainrule.viz.graph_spec import GraphNode, GraphSpec
from chainrule.viz.naming import describe, fmt
from chainrule.viz.trace_table import Trace, TraceEdge, TraceStep, stored_grad_notes


def shape_text(arr: np.ndarray) -> str:
    return f"{tuple(arr.shape)} {arr.dtype.name}"


def value_text(arr: np.ndarray) -> str:
    """Shape and dtype, then the value (one number) or a summary: what a trace row shows."""
    summary = fmt(arr.item()) if arr.size == 1 else describe(arr)
    return f"{summary}  {shape_text(arr)}"


#: What drawing or explaining a freed graph says (backward() without retain_graph=True).
FREED_GRAPH = (
    "{what}: the graph was freed by backward(); pass retain_graph=True to that backward() "
    "(or call {what} before it) to keep the graph for inspection"
)


def walk(root: Any, what: str = "draw_graph") -> list[Any]:
    """Every tensor ``root`` was computed from (constants included), inputs first.

    Read-only introspection for drawing; the backward pass has its own order in
    ``chainrule.autograd``. Iterative, so deep graphs are fine. A node freed by
    ``backward()`` has forgotten its inputs, so the walk stops with an error naming ``what``.
    """
    order, seen, stack = [], {id(root)}, [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        stack.append((t, True))
        node = t._node
        if node is not None and node.freed:
            raise RuntimeError(FREED_GRAPH.format(what=what))
        for inp in (node.inputs or ()) if node is not None else ():
            if isinstance(inp, Tensor) and id(inp) not in seen:
                seen.add(id(inp))
                stack.append((inp, False))
    return order


def tensor_names(order: list[Any], names: Mapping[str, Any] | None) -> dict[int, str]:
    """Display names: the caller's, else a ``label`` set on the tensor (``z1.label = "z1"``, as
    a ``Value`` has), else ``L`` for the root, ``input`` for data, ``t<k>`` for other leaves and
    ``<op><k>`` for results (k = position in the walk)."""
    given = {id(t): n for n, t in (names or {}).items()}
    for t in order:
        label = getattr(t, "__dict__", {}).get("label")
        if isinstance(label, str) and label and id(t) not in given:
            given[id(t)] = label
    if order and id(order[-1]) not in given:
        given[id(order[-1])] = "L"  # the root: usually the loss
    out: dict[int, str] = {}
    inputs = 0
    for k, t in enumerate(order):
        if id(t) in given:
            out[id(t)] = given[id(t)]
        elif t._node is None and not t._requires_grad:  # data fed in: input, input_1, ...
            out[id(t)] = "input" if inputs == 0 else f"input_{inputs}"
            inputs += 1
        elif t._node is None:
            out[id(t)] = f"t{k}"
        else:
            out[id(t)] = f"{t._node.rule.name}{k}"
    return out


def tensor_graph(root: Any, names: Mapping[str, Any] | None = None) -> GraphSpec:
    """Describe a tensor graph for drawing: tensor boxes joined through op circles."""
    order = walk(root)
    label = tensor_names(order, names)
    spec = GraphSpec()
    for t in order:
        key = f"t{id(t)}"
        grad = t._grad._data if t._grad is not None else None
        spec.nodes.append(
            GraphNode(
                key,
                "value",
                [
                    f"{label[id(t)]}  {shape_text(t._data)}",  # one line: boxes stay short
                    f"data {describe(t._data)}",
                    f"grad {describe(grad)}",
                ],
            )
        )
        node = t._node
        if node is not None:
            op_key = f"op{id(t)}"
            spec.nodes.append(GraphNode(op_key, "op", [node.rule.name]))
            spec.edges.append((op_key, key))
            for inp in node.inputs or ():
                if isinstance(inp, Tensor):
                    spec.edges.append((f"t{id(inp)}", op_key))
    return spec


def tensor_trace(
    root: Any,
    gradient: Any = None,
    names: Mapping[str, Any] | None = None,
) -> Trace:
    """Record each op's backward step (shapes in, local rule, shapes out), changing no ``.grad``.

    The gradients are computed with ``autograd.grad`` into a table of their own, keeping the
    graph (``retain_graph=True``): explaining is looking, and looking twice shows the same.
    """
    order = walk(root, "explain")
    label = tensor_names(order, names)
    records: list[tuple[Any, Any, tuple, tuple, np.ndarray, tuple]] = []

    def record(tensor: Any, node: Any, upstream: np.ndarray, input_grads: tuple) -> None:
        records.append((tensor, node.rule, node.inputs, node.needs, upstream, input_grads))

    leaves = [t for t in order if t._node is None and t._requires_grad]
    grads = autograd.grad(
        root, leaves, gradient, retain_graph=True, allow_unused=True, on_step=record
    )
    steps = []
    for i, (t, rule_, inputs, needs, upstream, sent) in enumerate(records, start=1):
        formulas = rule_.formula
        edges = []
        for j, (inp, need) in enumerate(zip(inputs, needs)):
            if not need:
                continue
            # n-ary ops (cat, einsum) give one formula for all their inputs
            rule = (
                formulas[min(j, len(formulas) - 1)]
                if formulas
                else "(see chainrule.autograd.rules)"
            )
            edges.append(
                TraceEdge(
                    label.get(id(inp), "?"),
                    rule,
                    "—" if sent[j] is None else str(tuple(np.shape(sent[j]))),
                )
            )
        steps.append(
            TraceStep(
                i,
                label[id(t)],
                rule_.name,
                value_text(t._data),
                f"g {tuple(upstream.shape)}",
                tuple(edges),
            )
        )
    computed = {label[id(t)]: g._data for t, g in zip(leaves, grads) if g is not None}
    stored = {label[id(t)]: None if t._grad is None else t._grad._data for t in leaves}
    notes = stored_grad_notes(
        label[id(root)], computed, stored, lambda a, b: np.allclose(a, b, rtol=1e-5, atol=0)
    )
    return Trace(
        label[id(root)],
        value_text(root._data),
        steps,
        computed,
        labelled=frozenset((names or {}).keys()),
        notes=notes,
    )

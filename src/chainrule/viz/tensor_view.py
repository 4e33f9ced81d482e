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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule import autograd
from chainrule._tensor import Tensor
from chainrule.viz.graph_spec import GraphNode, GraphSpec
from chainrule.viz.naming import describe
from chainrule.viz.trace_table import Trace, TraceEdge, TraceStep


def shape_text(arr: np.ndarray) -> str:
    return f"{tuple(arr.shape)} {arr.dtype.name}"


def walk(root: Any) -> list[Any]:
    """Every tensor ``root`` was computed from (constants included), inputs first.

    Read-only introspection for drawing; the backward pass has its own order in
    ``chainrule.autograd``. Iterative, so deep graphs are fine.
    """
    order, seen, stack = [], {id(root)}, [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        stack.append((t, True))
        node = t._node
        for inp in (node.inputs or ()) if node is not None else ():
            if isinstance(inp, Tensor) and id(inp) not in seen:
                seen.add(id(inp))
                stack.append((inp, False))
    return order


def tensor_names(order: list[Any], names: Mapping[str, Any] | None) -> dict[int, str]:
    """Display names: the caller's, else ``L`` for the root, ``input`` for data,
    ``t<k>`` for other leaves and ``<op><k>`` for results (k = position in the walk)."""
    given = {id(t): n for n, t in (names or {}).items()}
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
                    label[id(t)],
                    shape_text(t._data),
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
    retain_graph: bool = False,
    names: Mapping[str, Any] | None = None,
) -> Trace:
    """Run ``root.backward`` and record each op's step: shapes in, local rule, shapes out."""
    order = walk(root)
    label = tensor_names(order, names)
    records: list[tuple[Any, Any, tuple, tuple, np.ndarray, tuple]] = []

    def record(tensor: Any, node: Any, upstream: np.ndarray, input_grads: tuple) -> None:
        # Copy what we need now: without retain_graph the node is freed right after.
        records.append((tensor, node.rule, node.inputs, node.needs, upstream, input_grads))

    autograd.backward(root, gradient, retain_graph=retain_graph, on_step=record)
    steps = []
    for i, (t, rule_, inputs, needs, upstream, grads) in enumerate(records, start=1):
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
            sent = grads[j]
            edges.append(
                TraceEdge(
                    label.get(id(inp), "?"),
                    rule,
                    "—" if sent is None else str(tuple(np.shape(sent))),
                )
            )
        steps.append(
            TraceStep(
                i,
                label[id(t)],
                rule_.name,
                shape_text(t._data),
                f"g {tuple(upstream.shape)}",
                tuple(edges),
            )
        )
    leaves = {
        label[id(t)]: t._grad._data
        for t in order
        if t._node is None and t._requires_grad and t._grad is not None
    }
    return Trace(
        label[id(root)],
        shape_text(root._data),
        steps,
        leaves,
        labelled=frozenset((names or {}).keys()),
    )

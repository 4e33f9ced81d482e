"""``explain(root)``: the backward pass step by step, for either engine, changing nothing.

Every step is "downstream = upstream × local": for a scalar ``Value`` the numbers, for a
``Tensor`` the shapes and the op's local rule (``dL/dW = gᵀ X``). The step table itself
(:class:`~chainrule.viz.trace_table.Trace`) is engine-neutral; each engine's view fills it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainrule._tensor import Tensor
from chainrule.scalar.value import Value
from chainrule.viz.forward_trace import ForwardTrace
from chainrule.viz.graph import draw_graph
from chainrule.viz.scalar_view import scalar_forward_trace, scalar_trace
from chainrule.viz.tensor_view import tensor_trace
from chainrule.viz.trace_table import Trace, TraceEdge, TraceStep

__all__ = ["explain", "ForwardTrace", "Trace", "TraceEdge", "TraceStep"]


def explain(
    root: Any,
    gradient: Any = None,
    retain_graph: bool = True,
    names: Mapping[str, Any] | None = None,
    mode: str = "reverse",
    wrt: Any = None,
) -> Trace | ForwardTrace:
    """Return the step-by-step ``Trace`` of the backward pass from ``root``; change no ``.grad``.

    explain only looks: the pass is computed on the side, so calling it after
    ``root.backward()`` shows one pass's gradients and never adds a second one (its notes say
    what each leaf's ``.grad`` holds). For a Tensor each step shows shapes and the op's local
    rule (``dL/dW = gᵀ X``), the trace's head the loss value; ``gradient`` is the seed, as in
    ``backward``; ``names`` labels nodes (``{"z1": z1}``, ``dict(model.named_parameters())``).
    The graph is always kept (``retain_graph`` is accepted for older calls and has no effect).
    A tensor graph already freed by ``backward()`` raises an error that says so.
    ``mode="forward"`` (scalar Values) walks the same graph leaves first with ``wrt``'s
    tangent 1 and returns a ``ForwardTrace``, whose summary gives the reverse-mode value too.
    """
    del retain_graph  # explain never frees the graph it reads
    if mode not in ("reverse", "forward"):
        raise ValueError(f"explain: mode must be 'reverse' or 'forward', got {mode!r}")
    if mode == "forward":
        if not isinstance(root, Value):
            raise TypeError(
                "explain(mode='forward') traces the scalar engine (a Value root), "
                f"got {type(root).__name__}"
            )
        if wrt is None:
            raise TypeError("explain(mode='forward') needs wrt=, the leaf whose tangent is 1")
        return scalar_forward_trace(root, wrt, names)
    if isinstance(root, Value):
        trace = scalar_trace(root, names)
    elif isinstance(root, Tensor):
        trace = tensor_trace(root, gradient, names)
    else:
        raise TypeError(
            f"explain needs the root of a computation (a Value or a Tensor), "
            f"got {type(root).__name__}"
        )
    # The notebook view draws the graph beside the table. A tensor graph is described now,
    # because backward() may free it before the trace is shown; a Value graph is never freed,
    # so it is described only if shown (describing a 40,000-node graph costs more than the trace).
    if isinstance(root, Tensor):
        trace.graph_svg = draw_graph(root, names=names)._repr_svg_
    else:
        trace.graph_svg = lambda: draw_graph(root, names=names)._repr_svg_()
    return trace

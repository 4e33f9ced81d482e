"""``explain(root)``: run the backward pass and return it step by step, for either engine.

Every step is "downstream = upstream × local": for a scalar ``Value`` the numbers, for a
``Tensor`` the shapes and the op's local rule (``dL/dW = gᵀ X``). The step table itself
(:class:`~chainrule.viz.trace_table.Trace`) is engine-neutral; each engine's view fills it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainrule._tensor import Tensor
from chainrule.scalar.value import Value
from chainrule.viz.scalar_view import scalar_trace
from chainrule.viz.tensor_view import tensor_trace
from chainrule.viz.trace_table import Trace, TraceEdge, TraceStep

__all__ = ["explain", "Trace", "TraceEdge", "TraceStep"]


def explain(
    root: Any,
    gradient: Any = None,
    retain_graph: bool = False,
    names: Mapping[str, Any] | None = None,
) -> Trace:
    """Run ``root.backward()`` and return the step-by-step ``Trace`` of it.

    Like any backward pass it accumulates into the leaves' ``.grad``. For a Tensor,
    each step shows shapes and the op's local rule (``dL/dW = gᵀ X``) instead of
    numbers; ``gradient`` and ``retain_graph`` are passed to ``backward``, and
    ``names`` labels tensors (e.g. ``dict(model.named_parameters())``).
    """
    if isinstance(root, Value):
        return scalar_trace(root)
    if isinstance(root, Tensor):
        return tensor_trace(root, gradient, retain_graph, names)
    raise TypeError(
        f"explain needs the root of a computation (a Value or a Tensor), got {type(root).__name__}"
    )

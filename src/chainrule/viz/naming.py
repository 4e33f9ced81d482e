"""How nodes are named and numbers printed, shared by the trace and the drawing.

A node is called by its ``label`` when it has one. An unlabelled leaf is a constant
the expression used, so it is called by its value (``5``). An unlabelled root is
``L`` (it is usually the loss), any other unlabelled result ``n<k>``, k being its
position in the topological order, so names are stable for a given expression and
the trace and the drawing agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def fmt(x: Any) -> str:
    """Format a number for people: up to 6 significant digits, no trailing zeros."""
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, np.ndarray):
        return describe(x)
    return str(x)


def describe(arr: np.ndarray | None) -> str:
    """An array for people: its values when small, else min/mean/max."""
    if arr is None:
        return "None"
    if arr.size <= 4:
        return np.array2string(arr, precision=4, separator=", ", suppress_small=True).replace(
            "\n", ""
        )
    if arr.dtype.kind in "fc":
        return f"min {arr.min():.3g} mean {arr.mean():.3g} max {arr.max():.3g}"
    return f"min {arr.min()} max {arr.max()}"


def node_names(order: Iterable[Any]) -> dict[int, str]:
    """Map ``id(node)`` to a display name for every node of a topological order."""
    names = {}
    order = list(order)
    for k, node in enumerate(order):
        if node.label:
            names[id(node)] = node.label
        elif node.is_leaf:
            names[id(node)] = fmt(node.data)
        elif k == len(order) - 1:
            names[id(node)] = "L"
        else:
            names[id(node)] = f"n{k}"
    return names

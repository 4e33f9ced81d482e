"""What a drawing is made of, independent of the engine: boxes, op circles and edges.

``scalar_view`` and ``tensor_view`` each turn their engine's graph into a :class:`GraphSpec`;
``graph.py`` lays any spec out and renders it. Neither side knows the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GraphNode", "GraphSpec"]


@dataclass
class GraphNode:
    """One box (``kind='value'``) or one op circle (``kind='op'``) of the drawing."""

    key: str
    kind: str
    lines: list[str]


@dataclass
class GraphSpec:
    """A drawing-neutral description of a computation graph."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (from, to), forward direction

"""Drawing the computation graph, as in the course's diagrams.

Value nodes are boxes (label, data, grad); op nodes are small circles between a
result and its inputs; arrows point in the direction of the forward pass.

``draw_graph(root, "g.svg")`` writes SVG or PNG (chosen by the file extension) and
always returns the graph as Graphviz DOT text, for anyone who has Graphviz.

Why no Graphviz: it is a system program, not a pip package, and a student's fresh
``pip install`` must be able to draw. The pip packages that bundle a ``dot`` binary
are young single-maintainer projects. So chainrule lays the graph out itself (a
layered layout, which is what ``dot`` does for a DAG, in a few dozen lines) and
renders it with matplotlib, which the plots need anyway. The drawing is built from
a neutral ``GraphSpec`` (nodes with text lines, edges), so the tensor engine can add
shapes and dtypes to the node text without touching the layout or the renderers.

>>> from chainrule import Value, draw_graph
>>> x = Value(2.0, label="x")
>>> dot = draw_graph(x * x)
>>> dot.splitlines()[0]
'digraph chainrule {'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chainrule._io import atomic_path, write_text_atomically
from chainrule._tensor import Tensor
from chainrule.scalar.value import Value
from chainrule.viz.graph_spec import GraphNode, GraphSpec
from chainrule.viz.scalar_view import scalar_graph
from chainrule.viz.tensor_view import tensor_graph

#: Drawing more nodes than this gives an unreadable picture; DOT text still works.
MAX_DRAWN_NODES = 400


def to_dot(spec: GraphSpec) -> str:
    """Graphviz DOT text for a graph description (left to right, like the slides)."""

    def quote(text: str) -> str:
        return (
            text.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("|", "\\|")
            .replace("{", "\\{")
            .replace("}", "\\}")
            .replace("<", "\\<")
            .replace(">", "\\>")
        )

    out = ["digraph chainrule {", "  rankdir=LR;"]
    for n in spec.nodes:
        if n.kind == "op":
            out.append(f'  "{n.key}" [label="{quote(n.lines[0])}", shape=circle];')
        else:
            record = " | ".join(quote(line) for line in n.lines)
            out.append(f'  "{n.key}" [label="{{ {record} }}", shape=record];')
    out.extend(f'  "{a}" -> "{b}";' for a, b in spec.edges)
    out.append("}")
    return "\n".join(out) + "\n"


# ---- layout ------------------------------------------------------------------------------------
def layered_layout(spec: GraphSpec) -> dict[str, tuple[int, float]]:
    """Place nodes in columns (rank) and rows (order within the column).

    1. rank = longest path from a leaf, so every arrow points right;
    2. each leaf is then pulled right, next to its first consumer, to keep arrows short;
    3. a few barycentre sweeps order each column by the mean row of its neighbours,
       which removes most crossings (the Sugiyama method, simplified).
    """
    preds: dict[str, list[str]] = {n.key: [] for n in spec.nodes}
    succs: dict[str, list[str]] = {n.key: [] for n in spec.nodes}
    for a, b in spec.edges:
        preds[b].append(a)
        succs[a].append(b)

    # Longest-path ranks, iteratively in topological order (Kahn's algorithm).
    indeg = {k: len(v) for k, v in preds.items()}
    ready = [n.key for n in spec.nodes if indeg[n.key] == 0]
    rank = dict.fromkeys(ready, 0)
    topo = []
    while ready:
        k = ready.pop()
        topo.append(k)
        for s in succs[k]:
            rank[s] = max(rank.get(s, 0), rank[k] + 1)
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    for k in topo:
        if not preds[k] and succs[k]:
            rank[k] = min(rank[s] for s in succs[k]) - 1

    columns: dict[int, list[str]] = {}
    for n in spec.nodes:
        columns.setdefault(rank[n.key], []).append(n.key)
    row = {k: float(i) for col in columns.values() for i, k in enumerate(col)}

    def sweep(neighbours: dict[str, list[str]], ranks: list[int]) -> None:
        for r in ranks:
            col = columns[r]
            bary = {
                k: (
                    sum(row[m] for m in neighbours[k]) / len(neighbours[k])
                    if neighbours[k]
                    else row[k]
                )
                for k in col
            }
            col.sort(key=lambda k: bary[k])
            for i, k in enumerate(col):
                row[k] = float(i)

    ranks = sorted(columns)
    for _ in range(4):
        sweep(preds, ranks[1:])
        sweep(succs, ranks[-2::-1])
    return {k: (rank[k], row[k]) for k in row}


# ---- rendering ---------------------------------------------------------------------------------
_CHAR_W, _LINE_H, _PAD = 0.085, 0.19, 0.12  # inches, for 9-point monospace text


def _node_size(n: GraphNode) -> tuple[float, float]:
    if n.kind == "op":
        d = max(0.38, len(n.lines[0]) * _CHAR_W + 0.16)
        return d, d
    return max(len(t) for t in n.lines) * _CHAR_W + 2 * _PAD, len(n.lines) * _LINE_H + _PAD


def render(spec: GraphSpec, path: str | os.PathLike[str]) -> Path:
    """Draw a graph description with matplotlib to ``path`` (.svg, .png or .pdf)."""
    # A bare Figure (not pyplot) needs no GUI backend and leaves no global state.
    from matplotlib.figure import Figure  # noqa: PLC0415 (heavy, only needed to draw)
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: PLC0415

    path = Path(path)
    if len(spec.nodes) > MAX_DRAWN_NODES:
        raise ValueError(
            f"draw_graph: the graph has {len(spec.nodes)} nodes, more than a readable drawing "
            f"holds ({MAX_DRAWN_NODES}); draw a smaller expression or use the returned DOT text"
        )
    place = layered_layout(spec)
    size = {n.key: _node_size(n) for n in spec.nodes}
    col_w: dict[int, float] = {}
    col_n: dict[int, int] = {}
    for k, (r, _) in place.items():
        col_w[r] = max(col_w.get(r, 0.0), size[k][0])
        col_n[r] = col_n.get(r, 0) + 1
    gap_x, gap_y = 0.45, 0.25
    row_h = max(h for _, h in size.values()) + gap_y
    x_of, x = {}, 0.0
    for r in sorted(col_w):
        x_of[r] = x + col_w[r] / 2
        x += col_w[r] + gap_x
    height = max(col_n.values()) * row_h
    # Centre each column vertically so short columns sit in the middle.
    centre = {}
    for k, (r, i) in place.items():
        centre[k] = (x_of[r], height / 2 + (col_n[r] / 2 - i - 0.5) * row_h)

    width = x - gap_x
    fig = Figure(figsize=(width + 0.2, height + 0.2))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(-0.1, height + 0.1)
    ax.set_axis_off()
    for n in spec.nodes:
        cx, cy = centre[n.key]
        w, h = size[n.key]
        if n.kind == "op":
            ax.add_patch(Circle((cx, cy), w / 2, facecolor="#fdf1d6", edgecolor="#8a6d3b"))
            ax.text(cx, cy, n.lines[0], ha="center", va="center", family="monospace", fontsize=9)
        else:
            ax.add_patch(
                FancyBboxPatch(
                    (cx - w / 2, cy - h / 2),
                    w,
                    h,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor="#e8f0fb",
                    edgecolor="#2f5d8a",
                )
            )
            ax.text(
                cx,
                cy,
                "\n".join(n.lines),
                ha="center",
                va="center",
                family="monospace",
                fontsize=9,
                linespacing=1.3,
            )
    for a, b in spec.edges:
        (ax0, ay), (bx0, by) = centre[a], centre[b]
        start = (ax0 + size[a][0] / 2, ay)
        end = (bx0 - size[b][0] / 2, by)
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=10,
                color="#555555",
                linewidth=0.9,
                shrinkA=0,
                shrinkB=0,
            )
        )
    _save_atomically(fig, path)
    return path


def _save_atomically(fig: Any, path: Path) -> None:
    """Save a figure so that no half-written file is ever left at ``path``."""
    import matplotlib  # noqa: PLC0415

    with atomic_path(path) as tmp, matplotlib.rc_context({"svg.fonttype": "none"}):
        # svg.fonttype none keeps SVG text as text (searchable), not glyph outlines.
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower(), dpi=150)


_FORMATS = {".svg", ".png", ".pdf", ".dot", ".gv"}


def draw_graph(
    root: Any, path: str | os.PathLike[str] | None = None, names: Mapping[str, Any] | None = None
) -> str:
    """Draw the computation graph behind ``root`` (a Value or a Tensor); return DOT text.

    ``path`` picks the output by extension: .svg, .png or .pdf (drawn with
    matplotlib), or .dot/.gv (the DOT text itself). Without a path nothing is written.
    ``names`` labels tensors, e.g. ``dict(model.named_parameters())``. Draw a tensor
    graph before ``backward()`` frees it, or after ``backward(retain_graph=True)``.
    """
    if isinstance(root, Value):
        spec = scalar_graph(root)
    elif isinstance(root, Tensor):
        spec = tensor_graph(root, names)
    else:
        raise TypeError(
            f"draw_graph needs the root of a computation (a Value or a Tensor), "
            f"got {type(root).__name__}"
        )
    dot = to_dot(spec)
    if path is not None:
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in _FORMATS:
            raise ValueError(
                f"draw_graph: cannot write {str(target)!r}; use one of {sorted(_FORMATS)}"
            )
        if suffix in (".dot", ".gv"):
            write_text_atomically(target, dot)
        else:
            render(spec, target)
    return dot

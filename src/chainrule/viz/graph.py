"""Drawing the computation graph, as in the course's diagrams.

Value nodes are boxes (label, data, grad); op nodes are small circles between a
result and its inputs; arrows point in the direction of the forward pass.

``draw_graph(root)`` returns a :class:`GraphDrawing`: in a notebook it shows itself as SVG,
``.save("g.png")`` writes SVG, PNG or PDF (chosen by the file extension), and ``.dot`` (or
``str(drawing)``) is the graph as Graphviz DOT text, for anyone who has Graphviz.
``rankdir="TB"`` lays it out top to bottom, which suits a slide better than a long strip.

Why no Graphviz: it is a system program, not a pip package, and a student's fresh
``pip install`` must be able to draw. The pip packages that bundle a ``dot`` binary
are young single-maintainer projects. So chainrule lays the graph out itself (a
layered layout, which is what ``dot`` does for a DAG, in a few dozen lines) and
renders it with matplotlib, which the plots need anyway. The drawing is built from
a neutral ``GraphSpec`` (nodes with text lines, edges), so the tensor engine can add
shapes and dtypes to the node text without touching the layout or the renderers.

>>> from chainrule import Value, draw_graph
>>> x = Value(2.0, label="x")
>>> drawing = draw_graph(x * x)
>>> drawing
<GraphDrawing: 3 nodes, 3 edges, left to right>
>>> drawing.dot.splitlines()[0]
'digraph chainrule {'
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chainrule._io import atomic_path, write_text_atomically
from chainrule._tensor import Tensor
from chainrule.scalar.value import Value
from chainrule.viz.graph_spec import GraphNode, GraphSpec
from chainrule.viz.scalar_view import scalar_graph
from chainrule.viz.style import MIN_TEXT_PT
from chainrule.viz.tensor_view import tensor_graph

#: Drawing more nodes than this gives an unreadable picture; DOT text still works.
MAX_DRAWN_NODES = 400


#: Layout directions, named as Graphviz names them.
RANKDIRS = {"LR": "left to right", "TB": "top to bottom"}


def to_dot(spec: GraphSpec, rankdir: str = "LR") -> str:
    """Graphviz DOT text for a graph description (left to right like the slides, or ``"TB"``)."""

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

    out = ["digraph chainrule {", f"  rankdir={rankdir};"]
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

    1. rank = longest path from a leaf, so every arrow points forward (right, or down);
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
#: Node text size. Graph drawings are projected too, so they follow the lecture style's minimum.
FONT_PT = MIN_TEXT_PT
# Monospace glyphs are about 0.6 em wide; lines are spaced 1.3 em apart (inches, at FONT_PT).
_CHAR_W, _LINE_H, _PAD = 0.6 * FONT_PT / 72, 1.3 * FONT_PT / 72, 0.12


def _node_size(n: GraphNode) -> tuple[float, float]:
    if n.kind == "op":
        d = max(0.5, len(n.lines[0]) * _CHAR_W + 0.2)
        return d, d
    return max(len(t) for t in n.lines) * _CHAR_W + 2 * _PAD, len(n.lines) * _LINE_H + _PAD


def _positions(
    spec: GraphSpec, size: dict[str, tuple[float, float]], rankdir: str
) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Centre of every node in inches, and the drawing's width and height.

    Ranks (the layout's columns) run along the forward direction: x for ``LR``, y downwards
    for ``TB``. Each rank is as deep as its largest node; within a rank nodes sit side by side
    and the rank is centred across the drawing, so short ranks sit in the middle.
    """
    place = layered_layout(spec)
    along = 0 if rankdir == "LR" else 1  # which of (w, h) is measured along the ranks
    ranks: dict[int, list[str]] = {}
    for k, (r, _) in sorted(place.items(), key=lambda kv: kv[1]):
        ranks.setdefault(r, []).append(k)
    gap_along, gap_across = (0.45, 0.25) if rankdir == "LR" else (0.35, 0.3)
    depth = {r: max(size[k][along] for k in ks) for r, ks in ranks.items()}
    breadth = {
        r: sum(size[k][1 - along] for k in ks) + gap_across * (len(ks) - 1)
        for r, ks in ranks.items()
    }
    total_across = max(breadth.values())
    centre_along: dict[int, float] = {}
    pos = 0.0
    for r in sorted(ranks):
        centre_along[r] = pos + depth[r] / 2
        pos += depth[r] + gap_along
    total_along = pos - gap_along
    centre: dict[str, tuple[float, float]] = {}
    for r, ks in ranks.items():
        offset = (total_across - breadth[r]) / 2
        for k in ks:
            extent = size[k][1 - along]
            across = offset + extent / 2
            offset += extent + gap_across
            if rankdir == "LR":  # the first node of a rank on top
                centre[k] = (centre_along[r], total_across - across)
            else:  # the first rank on top, the first node of a rank on the left
                centre[k] = (across, total_along - centre_along[r])
    if rankdir == "LR":
        return centre, total_along, total_across
    return centre, total_across, total_along


def draw_figure(spec: GraphSpec, rankdir: str = "LR") -> Any:
    """Lay a graph description out and draw it on a new matplotlib Figure."""
    # A bare Figure (not pyplot) needs no GUI backend and leaves no global state.
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: PLC0415

    from chainrule.viz.figure import LectureFigure  # noqa: PLC0415 (matplotlib: only to draw)

    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {sorted(RANKDIRS)}, got {rankdir!r}")
    if len(spec.nodes) > MAX_DRAWN_NODES:
        raise ValueError(
            f"draw_graph: the graph has {len(spec.nodes)} nodes, more than a readable drawing "
            f"holds ({MAX_DRAWN_NODES}); draw a smaller expression or use the DOT text (.dot)"
        )
    size = {n.key: _node_size(n) for n in spec.nodes}
    centre, width, height = _positions(spec, size, rankdir)

    fig = LectureFigure(figsize=(width + 0.2, height + 0.2))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(-0.1, height + 0.1)
    ax.set_axis_off()
    text_style = {"ha": "center", "va": "center", "family": "monospace", "fontsize": FONT_PT}
    for n in spec.nodes:
        cx, cy = centre[n.key]
        w, h = size[n.key]
        if n.kind == "op":
            ax.add_patch(Circle((cx, cy), w / 2, facecolor="#fdf1d6", edgecolor="#8a6d3b"))
            ax.text(cx, cy, n.lines[0], **text_style)
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
            ax.text(cx, cy, "\n".join(n.lines), linespacing=1.3, **text_style)
    for a, b in spec.edges:
        (ax0, ay), (bx0, by) = centre[a], centre[b]
        if rankdir == "LR":  # from the right side of a to the left side of b
            start, end = (ax0 + size[a][0] / 2, ay), (bx0 - size[b][0] / 2, by)
        else:  # from the bottom of a to the top of b
            start, end = (ax0, ay - size[a][1] / 2), (bx0, by + size[b][1] / 2)
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=12,
                color="#555555",
                linewidth=1.0,
                shrinkA=0,
                shrinkB=0,
            )
        )
    return fig


def render(
    spec: GraphSpec, path: str | os.PathLike[str], rankdir: str = "LR", dpi: int = 150
) -> Path:
    """Draw a graph description with matplotlib to ``path`` (.svg, .png or .pdf)."""
    path = Path(path)
    fig = draw_figure(spec, rankdir)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower(), dpi=dpi)
    return path


_FORMATS = {".svg", ".png", ".pdf", ".dot", ".gv"}


class GraphDrawing:
    """A drawn computation graph: SVG in a notebook, a file with ``save``, DOT text with ``.dot``.

    It is a snapshot: the values and gradients shown are those when ``draw_graph`` was called.
    """

    def __init__(self, spec: GraphSpec, rankdir: str = "LR") -> None:
        if rankdir not in RANKDIRS:
            raise ValueError(
                f"draw_graph: rankdir must be one of {sorted(RANKDIRS)}, got {rankdir!r}"
            )
        self.spec = spec
        self.rankdir = rankdir
        #: The graph as Graphviz DOT text (``dot -Tpng``), also what ``str(drawing)`` gives.
        self.dot = to_dot(spec, rankdir)

    def figure(self) -> Any:
        """The drawing as a matplotlib Figure (a LectureFigure: it also displays inline)."""
        return draw_figure(self.spec, self.rankdir)

    def save(self, path: str | os.PathLike[str], dpi: int = 150) -> Path:
        """Write the drawing to ``path``: .svg, .png or .pdf drawn, .dot/.gv as DOT text."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in _FORMATS:
            raise ValueError(
                f"draw_graph: cannot write {str(target)!r}; use one of {sorted(_FORMATS)}"
            )
        if suffix in (".dot", ".gv"):
            write_text_atomically(target, self.dot)
            return target
        return render(self.spec, target, self.rankdir, dpi)

    def _repr_svg_(self) -> str:
        buffer = io.StringIO()
        self.figure().savefig(buffer, format="svg")
        return buffer.getvalue()

    def __str__(self) -> str:
        return self.dot

    def __repr__(self) -> str:
        return (
            f"<GraphDrawing: {len(self.spec.nodes)} nodes, {len(self.spec.edges)} edges, "
            f"{RANKDIRS[self.rankdir]}>"
        )


def draw_graph(
    root: Any,
    path: str | os.PathLike[str] | None = None,
    names: Mapping[str, Any] | None = None,
    rankdir: str = "LR",
) -> GraphDrawing:
    """Draw the computation graph behind ``root`` (a Value or a Tensor); return the drawing.

    ``path`` also writes it, picked by extension: .svg, .png or .pdf (drawn with matplotlib),
    or .dot/.gv (the DOT text). ``names`` labels nodes with the course's names, e.g.
    ``{"z1": z1, "a1": a1}`` or ``dict(model.named_parameters())``. ``rankdir`` is ``"LR"``
    (left to right, like the slides) or ``"TB"`` (top to bottom, for deep graphs on a slide).
    Drawing never changes a ``.grad``. A tensor graph must be drawn before ``backward()``
    frees it, or after ``backward(retain_graph=True)``; a freed one raises an error saying so.
    """
    if isinstance(root, Value):
        spec = scalar_graph(root, names)
    elif isinstance(root, Tensor):
        spec = tensor_graph(root, names)
    else:
        raise TypeError(
            f"draw_graph needs the root of a computation (a Value or a Tensor), "
            f"got {type(root).__name__}"
        )
    drawing = GraphDrawing(spec, rankdir)
    if path is not None:
        drawing.save(path)
    return drawing

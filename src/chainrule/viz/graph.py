"""Drawing the computation graph, as in the course's diagrams.

Value nodes are boxes (label, data, grad); op nodes are small circles (ellipses for long
names) between a result and its inputs; arrows point in the direction of the forward pass.

``draw_graph(root)`` returns a :class:`GraphDrawing`: in a notebook it shows itself as SVG,
``.save("g.png")`` writes SVG, PNG or PDF (chosen by the file extension), and ``.dot`` (or
``str(drawing)``) is the graph as Graphviz DOT text, for anyone who has Graphviz.
``rankdir="TB"`` lays it out top to bottom. A graph too long for one strip wraps into rows
(or columns) so that it fills a 16:9 slide with its text at 12 pt: the 2-1-1 BCE network is
three rows of about 10 x 6 inches, not a 27 x 2 inch strip.

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
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainrule._io import atomic_path, write_text_atomically
from chainrule._tensor import Tensor
from chainrule.scalar.value import Value
from chainrule.viz.graph_spec import GraphNode, GraphSpec
from chainrule.viz.scalar_view import scalar_graph
from chainrule.viz.style import DPI, MIN_TEXT_PT
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
# Monospace glyphs are about 0.6 em wide; lines are spaced 1.25 em apart (inches, at FONT_PT).
_CHAR_W, _LINE_H, _PAD = 0.6 * FONT_PT / 72, 1.25 * FONT_PT / 72, 0.12

#: A box's text lines are broken (between words) past this many characters: a tensor's
#: summary would otherwise make one box as wide as a slide.
BOX_CHARS = 28
_OP_H = 0.5  # an op is a circle, stretched into an ellipse when its name is long


def box_lines(n: GraphNode) -> list[str]:
    """The text a value box shows, each line at most :data:`BOX_CHARS` where it can break."""
    out: list[str] = []
    for line in n.lines:
        out.extend(textwrap.wrap(line, BOX_CHARS, break_long_words=False) or [""])
    return out


def _node_size(n: GraphNode) -> tuple[float, float]:
    if n.kind == "op":
        return max(_OP_H, len(n.lines[0]) * _CHAR_W + 0.25), _OP_H
    lines = box_lines(n)
    return max(len(t) for t in lines) * _CHAR_W + 2 * _PAD, len(lines) * _LINE_H + _PAD


#: The shape a drawing wraps itself to (width / height): a 16:9 slide.
SLIDE_ASPECT = 16 / 9
_BAND_GAP = 0.5  # inches between wrapped rows (LR) or columns (TB): room for the routed arrows


@dataclass
class _Layout:
    """Where everything goes, in inches, for one rankdir and one number of bands.

    Coordinates are first computed as ``(u, v)``: ``u`` along the forward direction, restarting
    in every band, and ``v`` across it, bands stacked one after another. ``xy`` maps them to the
    page: for ``LR`` a band is a row (rows top to bottom), for ``TB`` a column (left to right).
    """

    rankdir: str
    centre_uv: dict[str, tuple[float, float]]
    rank_of: dict[str, int]
    band_of_rank: dict[int, int]
    rank_u: dict[int, tuple[float, float]]  # (start, end) of each rank along u
    band_v: list[float]  # where each band starts across
    total_u: float
    total_v: float
    gap_along: float

    @property
    def bands(self) -> int:
        return len(self.band_v)

    @property
    def margin_u(self) -> float:
        # arrows between bands turn in the gap before a band's first rank and after its last
        return self.gap_along / 2 + 0.1 if self.bands > 1 else 0.1

    def xy(self, u: float, v: float) -> tuple[float, float]:
        if self.rankdir == "LR":
            return u, self.total_v - v
        return v, self.total_u - u

    @property
    def size(self) -> tuple[float, float]:
        """(width, height) of the page in inches, margins included."""
        along, across = self.total_u + 2 * self.margin_u, self.total_v + 0.2
        return (along, across) if self.rankdir == "LR" else (across, along)

    def centre(self, key: str) -> tuple[float, float]:
        return self.xy(*self.centre_uv[key])


def _layout(
    place: dict[str, tuple[int, float]],
    size: dict[str, tuple[float, float]],
    rankdir: str,
    bands: int,
) -> _Layout:
    """Place every node (``place``: rank and row, from :func:`layered_layout`) for ``rankdir``,
    the ranks cut into ``bands`` consecutive pieces.

    Ranks (the layered layout's columns) run along the forward direction. Each rank is as deep
    as its largest node; within a rank nodes sit side by side, centred across their band, so
    short ranks sit in the middle. Bands get about equal lengths.
    """
    along = 0 if rankdir == "LR" else 1  # which of (w, h) is measured along the ranks
    ranks: dict[int, list[str]] = {}
    for k, (r, _) in sorted(place.items(), key=lambda kv: kv[1]):
        ranks.setdefault(r, []).append(k)
    gap_along, gap_across = (0.45, 0.2) if rankdir == "LR" else (0.35, 0.3)
    order = sorted(ranks)
    depth = {r: max(size[k][along] for k in ranks[r]) for r in order}
    breadth = {
        r: sum(size[k][1 - along] for k in ranks[r]) + gap_across * (len(ranks[r]) - 1)
        for r in order
    }
    # Cut the sequence of ranks where its running length passes 1/bands, 2/bands, ...
    length = sum(depth.values()) + gap_along * (len(order) - 1)
    band_of_rank, pos = {}, 0.0
    for r in order:
        band_of_rank[r] = min(bands - 1, int((pos + depth[r] / 2) / length * bands))
        pos += depth[r] + gap_along
    used = {b: i for i, b in enumerate(sorted(set(band_of_rank.values())))}  # none empty
    band_of_rank = {r: used[b] for r, b in band_of_rank.items()}
    n_bands = len(used)

    rank_u: dict[int, tuple[float, float]] = {}
    ends: list[float | None] = [None] * n_bands  # where each band's last rank ends
    for r in order:
        b = band_of_rank[r]
        start = 0.0 if ends[b] is None else ends[b] + gap_along
        rank_u[r] = (start, start + depth[r])
        ends[b] = start + depth[r]
    band_breadth = [0.0] * n_bands
    for r in order:
        band_breadth[band_of_rank[r]] = max(band_breadth[band_of_rank[r]], breadth[r])
    band_v, v = [], 0.0
    for b in range(n_bands):
        band_v.append(v)
        v += band_breadth[b] + _BAND_GAP
    total_v = v - _BAND_GAP

    centre_uv: dict[str, tuple[float, float]] = {}
    rank_of: dict[str, int] = {}
    for r in order:
        b = band_of_rank[r]
        offset = band_v[b] + (band_breadth[b] - breadth[r]) / 2
        u = (rank_u[r][0] + rank_u[r][1]) / 2
        for k in ranks[r]:  # the first node of a rank on top (LR) or on the left (TB)
            extent = size[k][1 - along]
            centre_uv[k] = (u, offset + extent / 2)
            rank_of[k] = r
            offset += extent + gap_across
    return _Layout(
        rankdir,
        centre_uv,
        rank_of,
        band_of_rank,
        rank_u,
        band_v,
        max(e for e in ends if e is not None),
        total_v,
        gap_along,
    )


def _fit(layout: _Layout, aspect: float) -> float:
    """How large the drawing shows on a page of shape ``aspect``: the scale that makes it fit."""
    width, height = layout.size
    return min(aspect / width, 1.0 / height)


def plan_layout(
    spec: GraphSpec,
    size: dict[str, tuple[float, float]],
    rankdir: str = "LR",
    aspect: float | None = SLIDE_ASPECT,
) -> _Layout:
    """The layout that shows largest on a page of shape ``aspect``, wrapping a long graph.

    A chain drawn in one strip is tiny on a slide; cut into rows (``LR``) or columns (``TB``)
    it fills it. Band counts are tried in turn until three in a row do no better; a count must
    win clearly (by 2 %) to be chosen, so a graph is never wrapped for nothing.
    ``aspect=None``: one strip.
    """
    place = layered_layout(spec)  # (rank, row) of each node: the same for every wrapping
    best = _layout(place, size, rankdir, 1)
    if aspect is None:
        return best
    n_ranks = len(set(best.rank_of.values()))
    worse = 0
    for bands in range(2, n_ranks + 1):
        candidate = _layout(place, size, rankdir, bands)
        if _fit(candidate, aspect) > 1.02 * _fit(best, aspect):
            best, worse = candidate, 0
        else:
            worse += 1
            if worse == 3:  # past the best shape more bands only make it taller
                break
    return best


def _edge_path(layout: _Layout, size: dict[str, tuple[float, float]], a: str, b: str) -> list:
    """The arrow from ``a`` to ``b`` as page points: straight within a band, else routed.

    Between bands the arrow leaves ``a`` forward, turns in the gap after its rank, runs along
    the gap before ``b``'s band and enters ``b`` from the gap before its rank, so it never
    crosses a node of either band.
    """
    along = 0 if layout.rankdir == "LR" else 1
    (ua, va), (ub, vb) = layout.centre_uv[a], layout.centre_uv[b]
    start, end = (ua + size[a][along] / 2, va), (ub - size[b][along] / 2, vb)
    ra, rb = layout.rank_of[a], layout.rank_of[b]
    if layout.band_of_rank[ra] == layout.band_of_rank[rb]:
        points = [start, end]
    else:
        turn_a = layout.rank_u[ra][1] + layout.gap_along / 2
        turn_b = layout.rank_u[rb][0] - layout.gap_along / 2
        lane = layout.band_v[layout.band_of_rank[rb]] - _BAND_GAP / 2
        points = [start, (turn_a, va), (turn_a, lane), (turn_b, lane), (turn_b, vb), end]
    return [layout.xy(u, v) for u, v in points]


def draw_figure(spec: GraphSpec, rankdir: str = "LR", aspect: float | None = SLIDE_ASPECT) -> Any:
    """Lay a graph description out and draw it on a new matplotlib Figure (LectureFigure).

    ``aspect`` is the page shape (width / height) a long graph wraps itself to; None keeps
    one strip.
    """
    # A bare Figure (not pyplot) needs no GUI backend and leaves no global state.
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch  # noqa: PLC0415
    from matplotlib.path import Path as DrawnPath  # noqa: PLC0415

    from chainrule.viz.figure import LectureFigure  # noqa: PLC0415 (matplotlib: only to draw)

    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {sorted(RANKDIRS)}, got {rankdir!r}")
    if len(spec.nodes) > MAX_DRAWN_NODES:
        raise ValueError(
            f"draw_graph: the graph has {len(spec.nodes)} nodes, more than a readable drawing "
            f"holds ({MAX_DRAWN_NODES}); draw a smaller expression or use the DOT text (.dot)"
        )
    size = {n.key: _node_size(n) for n in spec.nodes}
    layout = plan_layout(spec, size, rankdir, aspect)
    m = layout.margin_u
    fig = LectureFigure(figsize=layout.size)
    ax = fig.add_axes((0, 0, 1, 1))
    u_range, v_range = (-m, layout.total_u + m), (-0.1, layout.total_v + 0.1)
    ax.set_xlim(*(u_range if rankdir == "LR" else v_range))
    ax.set_ylim(*(v_range if rankdir == "LR" else u_range))
    ax.set_axis_off()
    text_style = {"ha": "center", "va": "center", "family": "monospace", "fontsize": FONT_PT}
    for n in spec.nodes:
        cx, cy = layout.centre(n.key)
        w, h = size[n.key]
        if n.kind == "op":
            ax.add_patch(Ellipse((cx, cy), w, h, facecolor="#fdf1d6", edgecolor="#8a6d3b"))
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
            ax.text(cx, cy, "\n".join(box_lines(n)), linespacing=1.25, **text_style)
    for a, b in spec.edges:
        points = _edge_path(layout, size, a, b)
        codes = [DrawnPath.MOVETO] + [DrawnPath.LINETO] * (len(points) - 1)
        ax.add_patch(
            FancyArrowPatch(
                path=DrawnPath(points, codes),
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
    spec: GraphSpec,
    path: str | os.PathLike[str],
    rankdir: str = "LR",
    dpi: int = DPI,
    aspect: float | None = SLIDE_ASPECT,
) -> Path:
    """Draw a graph description with matplotlib to ``path`` (.svg, .png or .pdf)."""
    path = Path(path)
    fig = draw_figure(spec, rankdir, aspect)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower(), dpi=dpi)
    return path


_FORMATS = {".svg", ".png", ".pdf", ".dot", ".gv"}


class GraphDrawing:
    """A drawn computation graph: SVG in a notebook, a file with ``save``, DOT text with ``.dot``.

    It is a snapshot: the values and gradients shown are those when ``draw_graph`` was called.
    """

    def __init__(
        self, spec: GraphSpec, rankdir: str = "LR", aspect: float | None = SLIDE_ASPECT
    ) -> None:
        if rankdir not in RANKDIRS:
            raise ValueError(
                f"draw_graph: rankdir must be one of {sorted(RANKDIRS)}, got {rankdir!r}"
            )
        if aspect is not None and not aspect > 0:
            raise ValueError(f"draw_graph: aspect must be a positive width/height, got {aspect!r}")
        self.spec = spec
        self.rankdir = rankdir
        #: The page shape (width / height) a long graph wraps to; None: one strip.
        self.aspect = aspect
        #: The graph as Graphviz DOT text (``dot -Tpng``), also what ``str(drawing)`` gives.
        self.dot = to_dot(spec, rankdir)

    def figure(self) -> Any:
        """The drawing as a matplotlib Figure (a LectureFigure: it also displays inline)."""
        return draw_figure(self.spec, self.rankdir, self.aspect)

    def save(self, path: str | os.PathLike[str], dpi: int = DPI) -> Path:
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
        return render(self.spec, target, self.rankdir, dpi, self.aspect)

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
    aspect: float | None = SLIDE_ASPECT,
    dpi: int = DPI,
) -> GraphDrawing:
    """Draw the computation graph behind ``root`` (a Value or a Tensor); return the drawing.

    ``path`` also writes it, picked by extension: .svg, .png or .pdf (drawn with matplotlib),
    or .dot/.gv (the DOT text). ``names`` labels nodes with the course's names, e.g.
    ``{"z1": z1, "a1": a1}`` or ``dict(model.named_parameters())``. ``rankdir`` is ``"LR"``
    (left to right, like the slides) or ``"TB"`` (top to bottom, for deep graphs on a slide).
    A graph too long for one strip wraps into rows (``LR``) or columns (``TB``) so that it fills
    a page of shape ``aspect`` (width / height, a 16:9 slide unless told; None: never wrap).
    ``dpi`` is the resolution of a PNG written to ``path``.
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
    drawing = GraphDrawing(spec, rankdir, aspect)
    if path is not None:
        drawing.save(path, dpi)
    return drawing

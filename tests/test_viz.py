"""Graph drawing and the backprop trace."""

from __future__ import annotations

import random

import pytest

from chainrule import Value, draw_graph, explain
from chainrule.scalar import MLP
from chainrule.viz.graph import MAX_DRAWN_NODES, layered_layout, scalar_graph


def course_example():
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    z = w * x
    z.label = "z"
    L = (z + b - 5.0) ** 2
    L.label = "L"
    return L, (x, w, b)


def test_dot_text_has_every_value_and_op():
    L, _ = course_example()
    L.backward()
    dot = draw_graph(L).dot
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    for text in (
        "x | data 2 | grad 12",
        "w | data 3 | grad 8",
        "b | data 1 | grad 4",
        "L | data 4 | grad 1",
        'label="*"',
        'label="**2"',
    ):
        assert text in dot


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf", ".dot"])
def test_draw_graph_writes_each_format(tmp_path, suffix):
    L, _ = course_example()
    L.backward()
    path = tmp_path / "sub" / f"graph{suffix}"
    draw_graph(L, path)
    data = path.read_bytes()
    assert len(data) > 200
    if suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    if suffix == ".pdf":
        assert data[:5] == b"%PDF-"
    if suffix in (".svg", ".dot"):
        text = data.decode()
        for label in ("x", "w", "b", "L", "grad 12", "grad 8", "data 4"):
            assert label in text
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_svg_keeps_labels_as_text(tmp_path):
    L, _ = course_example()
    L.backward()
    draw_graph(L, tmp_path / "g.svg")
    svg = tmp_path.joinpath("g.svg").read_text()
    for line in ("x", "data 2", "grad 12", "L"):
        assert f">{line}\n" in svg or f">{line}<" in svg


def test_draw_graph_rejects_unknown_extensions_and_non_values(tmp_path):
    L, _ = course_example()
    with pytest.raises(ValueError, match="cannot write .*graph.jpg"):
        draw_graph(L, tmp_path / "graph.jpg")
    with pytest.raises(TypeError, match="got float"):
        draw_graph(3.0)


def test_too_large_graph_is_refused_with_advice(tmp_path):
    x = Value(1.0)
    y = x
    for _ in range(MAX_DRAWN_NODES):
        y = y * 1.0
    with pytest.raises(ValueError, match="more than a readable drawing.*DOT"):
        draw_graph(y, tmp_path / "big.png")
    assert draw_graph(y).dot.count("->") > MAX_DRAWN_NODES  # the DOT text still works


def test_layout_sends_every_arrow_rightwards():
    random.seed(0)
    out = MLP(3, [4, 2, 1])([Value(1.0), Value(2.0), Value(-1.0)])
    spec = scalar_graph(out)
    place = layered_layout(spec)
    assert set(place) == {n.key for n in spec.nodes}
    for a, b in spec.edges:
        assert place[a][0] < place[b][0]
    # no two nodes share a slot
    assert len(set(place.values())) == len(place)


def test_trace_rows_are_upstream_times_local():
    L, (x, w, b) = course_example()
    trace = explain(L)
    assert trace.leaf_grads == {"x": 12.0, "w": 8.0, "b": 4.0, "5": -4.0}
    assert trace.steps[0].node == "L" and trace.steps[0].upstream == 1.0
    for row in trace.rows():
        assert row["downstream"] == row["upstream"] * row["local"]
    z_step = next(s for s in trace if s.node == "z")
    assert z_step.op == "*" and z_step.upstream == 4.0
    assert {(e.input, e.local, e.downstream) for e in z_step.inputs} == {
        ("w", 2.0, 8.0),
        ("x", 3.0, 12.0),
    }
    assert trace.leaf_grads["w"] == 8.0


def test_trace_is_in_reverse_topological_order():
    L, _ = course_example()
    trace = L.backward(trace=True)  # the older spelling: backward, then explain
    assert L.inputs[0].inputs[0].grad == 4.0 and trace.leaf_grads["w"] == 8.0
    names = [s.node for s in trace]
    # Root first; a node's inputs that are themselves results come after it.
    assert names[0] == "L"
    for i, step in enumerate(trace):
        for e in step.inputs:
            if e.input in names:
                assert names.index(e.input) > i


def test_trace_prints_a_table_and_html():
    L, _ = course_example()
    trace = explain(L)
    text = str(trace)
    assert text.splitlines()[0].startswith("Backward pass from L = 4")
    assert "downstream = upstream × local" in text
    assert "dL/dx = 12, dL/dw = 8, dL/db = 4" in text
    html = trace._repr_html_()
    assert html.startswith("<div><table>") and "<td>z</td>" in html
    assert len(trace) == 4


def test_trace_html_shows_its_graph_beside_the_table():
    import base64
    import re

    L, _ = course_example()
    page = explain(L)._repr_html_()
    (data,) = re.findall(r'<img alt="graph from L" src="data:image/svg\+xml;base64,([^"]+)"', page)
    svg = base64.b64decode(data).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    bare = explain(L)
    bare.graph_svg = None  # a trace built without a graph shows the table alone
    assert bare._repr_html_().startswith("<table>") and "<img" not in bare._repr_html_()


def test_a_tensor_trace_still_shows_its_graph_after_backward_frees_it():
    import chainrule as torch

    w = torch.tensor([3.0], requires_grad=True)
    loss = (w * 2.0 - 5.0) ** 2
    trace = explain(loss)  # the graph is described here, at the trace's moment
    loss.backward()  # frees the graph's saved values
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        explain(loss)
    assert '<img alt="graph from L" src="data:image/svg+xml;base64,' in trace._repr_html_()


def test_explain_rejects_non_values():
    with pytest.raises(TypeError, match="got list"):
        explain([1.0])


# ------------------------------------------------------------ read-only inspection
def test_explain_changes_no_grad_and_says_how_to_store_them():
    L, (x, w, b) = course_example()
    trace = explain(L)
    assert (x.grad, w.grad, b.grad) == (0.0, 0.0, 0.0)
    assert "call L.backward() to store these gradients" in str(trace)


def test_explain_after_backward_shows_one_pass_and_never_doubles_grad():
    """The issue's trap: explain after backward used to end with dL/dw = 16."""
    L, (x, w, b) = course_example()
    L.backward()
    trace = explain(L)
    assert w.grad == 8.0 and trace.leaf_grads["w"] == 8.0
    assert "Note" not in str(trace)  # .grad holds exactly one pass: nothing to warn about
    assert "grad 8" in draw_graph(L).dot and "grad 16" not in draw_graph(L).dot
    explain(L)
    assert (x.grad, w.grad, b.grad) == (12.0, 8.0, 4.0)


def test_explain_names_an_accumulated_grad():
    L, (_, w, _) = course_example()
    L.backward()
    L.backward()
    text = str(explain(L))
    assert "w.grad holds 16" in text and "not this pass's" in text and "dL/dw = 8" in text
    assert w.grad == 16.0


def test_user_names_label_the_drawing_and_the_trace():
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    z1 = w * x
    z2 = z1 + b
    L = (z2 - 5.0) ** 2
    names = {"z1": z1, "z2": z2}
    assert "z1 | data 6" in draw_graph(L, names=names).dot
    assert {s.node for s in explain(L, names=names)} >= {"z1", "z2", "L"}


# ------------------------------------------------------------ the drawing object
def test_draw_graph_returns_a_drawing_that_shows_as_svg_and_saves(tmp_path):
    L, _ = course_example()
    L.backward()
    drawing = draw_graph(L)
    assert repr(drawing) == "<GraphDrawing: 12 nodes, 11 edges, left to right>"
    assert str(drawing) == drawing.dot
    svg = drawing._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "grad 8" in svg
    assert drawing.save(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_top_to_bottom_layout_is_taller_than_wide(tmp_path):
    L, _ = course_example()
    # unwrapped (aspect=None): one strip along the chosen direction
    lr = draw_graph(L, aspect=None).figure().get_size_inches()
    tb = draw_graph(L, rankdir="TB", aspect=None).figure().get_size_inches()
    assert lr[0] > lr[1] and tb[1] > tb[0]
    assert "rankdir=TB;" in draw_graph(L, rankdir="TB").dot
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_graph(L, rankdir="RL")


def test_graph_text_is_projector_sized():
    from matplotlib.text import Text

    from chainrule.viz.style import MIN_TEXT_PT

    L, _ = course_example()
    fig = draw_graph(L).figure()
    sizes = {t.get_fontsize() for t in fig.findobj(Text) if t.get_text()}
    assert sizes and min(sizes) >= MIN_TEXT_PT

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
    dot = draw_graph(L)
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
    assert draw_graph(y).count("->") > MAX_DRAWN_NODES  # the DOT text still works


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
    assert (x.grad, w.grad, b.grad) == (12.0, 8.0, 4.0)
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
    trace = L.backward(trace=True)
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
    assert html.startswith("<table>") and "<td>z</td>" in html
    assert len(trace) == 4


def test_explain_rejects_non_values():
    with pytest.raises(TypeError, match="got list"):
        explain([1.0])

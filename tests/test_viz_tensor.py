"""Drawing and tracing tensor graphs."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import draw_graph, explain, nn, tensor
from chainrule.nn import functional as F


@pytest.fixture
def mlp_loss():
    chainrule.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = tensor(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32))
    loss = F.cross_entropy(model(x), tensor(np.array([0, 1, 1, 0, 1])))
    return model, loss


def test_tensor_graph_boxes_show_name_shape_dtype_and_values(mlp_loss, tmp_path):
    model, loss = mlp_loss
    dot = draw_graph(loss, tmp_path / "g.svg", names=dict(model.named_parameters())).dot
    svg = (tmp_path / "g.svg").read_text()
    for text in (
        "0.weight",
        "(4, 3) float32",
        "2.bias",
        "(2,) float32",
        "input",
        "(5, 3) float32",
        "linear",
        "relu",
        "cross_entropy",
    ):
        assert text in dot and text in svg
    bias = model[2].bias.numpy()
    assert f"{bias[0]:.4f}" in dot  # values shown when small
    assert dot.count("->") >= 10


def test_tensor_trace_shows_shapes_and_local_rules(mlp_loss):
    model, loss = mlp_loss
    trace = explain(loss, names=dict(model.named_parameters()))
    assert trace.steps[0].node == "L"
    linear_steps = [s for s in trace if s.op == "linear"]
    assert len(linear_steps) == 2
    last = linear_steps[0]  # root first: the output layer comes first
    edges = {e.input: e for e in last.inputs}
    assert edges["2.weight"].downstream == "(2, 4)" and edges["2.bias"].downstream == "(2,)"
    assert "x" in edges["2.weight"].local and "Σ" in edges["2.bias"].local
    assert last.upstream == "g (5, 2)"
    text = str(trace)
    assert "0.weight" in text and "gᵀ·x" in text
    assert model[0].weight.grad is None  # explain only looks
    assert trace.root_value.startswith(f"{loss.item():.6g}")  # the loss value, not only a shape


def test_trace_matches_plain_backward():
    a = tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    b = tensor(np.array([0.5, -1.0]), requires_grad=True)
    trace = explain(((a * b).sum(dim=1) ** 2).sum(), names={"a": a, "b": b})
    assert a.grad is None and b.grad is None
    ((a * b).sum(dim=1) ** 2).sum().backward()
    np.testing.assert_array_equal(trace.leaf_grads["a"], a.grad.numpy())
    np.testing.assert_array_equal(trace.leaf_grads["b"], b.grad.numpy())


def test_explain_keeps_the_graph_and_never_accumulates():
    w = tensor(np.array([2.0]), requires_grad=True)
    y = (w * w).sum()
    explain(y)
    explain(y)
    y.backward()  # the graph is still there
    assert w.grad.item() == 4.0  # one backward's worth: explain added nothing


def test_explain_after_retained_backward_reports_accumulation():
    w = tensor(np.array([2.0]), requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    assert "Note" not in str(explain(y, names={"w": w}))
    y.backward(retain_graph=True)
    text = str(explain(y, names={"w": w}))
    assert "w.grad holds [8.], not this pass's dL/dw = [4.]" in text
    assert w.grad.item() == 8.0


def test_freed_graph_is_refused_by_name():
    w = tensor(np.array([2.0]), requires_grad=True)
    y = (w * 3).sum()
    assert "mul" in draw_graph(y).dot
    y.backward()
    for inspect, what in ((draw_graph, "draw_graph"), (explain, "explain")):
        with pytest.raises(
            RuntimeError, match=f"{what}: the graph was freed by backward.*retain_graph=True"
        ):
            inspect(y)


def test_tensors_carry_the_names_the_course_uses_via_label():
    from chainrule.viz.tensor_view import tensor_graph  # noqa: PLC0415

    x = tensor([[1.0, 2.0]])
    w = tensor([[0.5], [-1.0]], requires_grad=True)
    z1 = x @ w
    z1.label = "z1"  # the slides' name, as Value(..., label=) has
    z2 = z1.sigmoid()
    z2.label = "z2"
    loss = (z2 - 1.0).pow(2).sum()
    text = " ".join(str(node) for node in tensor_graph(loss, names={"w1": w}).nodes)
    for name in ("z1", "z2", "w1", "L"):
        assert name in text, name
    trace = str(explain(loss, names={"w1": w}))
    assert "z1" in trace and "z2" in trace
    z2.label = ""  # an empty label is no name: the default comes back
    assert "z2" not in " ".join(str(n) for n in tensor_graph(loss).nodes)

"""Both modes of automatic differentiation on one graph: ``compare_scalar_gradients``,
``compare_gradients(forward_mode=True)`` and ``explain(root, mode="forward")``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from chainrule import Value, explain
from chainrule import autograd as tensor_autograd
from chainrule.lab import manual
from chainrule.lab.compare import compare_gradients, compare_scalar_gradients
from chainrule.scalar import topological_order
from chainrule.viz.forward_trace import ForwardTrace
from test_scalar_value import ValueLib, programs, run_program


def program_function(steps):
    def f(*xs):
        return run_program(list(xs), steps, lambda d: d, ValueLib)[1]

    return f


# ---------------------------------------------------------------- compare_scalar_gradients
@settings(max_examples=60, deadline=None)
@given(programs(smooth=True))
def test_four_sources_agree_on_random_functions(program):
    inputs, steps = program
    report = compare_scalar_gradients(program_function(steps), inputs)
    assert report.sources == ["reverse", "forward", "dual", "numeric"]
    assert report.ok, str(report)
    for p in report.params:  # the three AD results agree to rounding, not just to 1e-6
        for pair in [("reverse", "forward"), ("reverse", "dual"), ("forward", "dual")]:
            # Relative 1e-12; or absolute, where the gradient is a cancellation near 0
            # (-x² - 2x at x = -0.99999 sums 2 and -2 to -2e-5: rounding is relative to 2).
            assert p.rel_err[pair] < 1e-12 or p.abs_err[pair] < 1e-12, (p.name, pair, p.rel_err)


def test_the_course_example_by_name():
    report = compare_scalar_gradients(lambda w, x, b: (w * x + b - 5) ** 2, [3, 2, 1], "wxb")
    grads = {p.name: {s: float(g) for s, g in p.grads.items()} for p in report.params}
    assert grads["w"]["reverse"] == grads["w"]["forward"] == grads["w"]["dual"] == 8.0
    assert grads["x"]["reverse"] == 12.0 and grads["b"]["dual"] == 4.0
    assert math.isclose(grads["w"]["numeric"], 8.0, rel_tol=1e-8)
    assert "VERDICT: all sources agree." in str(report)


def test_a_kink_makes_the_numeric_source_disagree():
    report = compare_scalar_gradients(lambda x: x.relu() * 3.0, [0.0], ["x"])
    assert not report.ok
    assert report.params[0].rel_err[("reverse", "dual")] == 0.0  # the AD modes still agree
    assert "VERDICT: the sources disagree for x." in str(report)


def test_scalar_comparison_errors():
    with pytest.raises(ValueError, match="2 names for 1 inputs"):
        compare_scalar_gradients(lambda x: x * 2, [1.0], ["a", "b"])
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        compare_scalar_gradients(lambda x: 2.0, [1.0])


# ---------------------------------------------------------------- compare_gradients(forward_mode=)
def lab_net(rng):
    return manual.Sequential(
        manual.Linear(rng.normal(size=(4, 3)), rng.normal(size=4)),  # W is (d_out, d_in)
        manual.Sigmoid(),
        manual.Linear(rng.normal(size=(2, 4)), rng.normal(size=2)),
    )


def test_forward_mode_is_skipped_with_a_note_without_forward_ad(monkeypatch):
    monkeypatch.delattr(tensor_autograd, "forward_ad", raising=False)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    report = compare_gradients(lab_net(rng), manual.SoftmaxCrossEntropy(), x, y, forward_mode=True)
    assert "forward" not in report.sources and report.ok
    assert "Note: forward mode skipped: this tensor engine has no autograd.forward_ad" in str(
        report
    )


@pytest.mark.skipif(
    not hasattr(tensor_autograd, "forward_ad"), reason="the tensor engine has no forward mode yet"
)
def test_forward_mode_source_matches_the_others():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    report = compare_gradients(lab_net(rng), manual.SoftmaxCrossEntropy(), x, y, forward_mode=True)
    assert "forward" in report.sources and report.ok, str(report)


# ---------------------------------------------------------------- explain(mode="forward")
@settings(max_examples=80, deadline=None)
@given(programs())
def test_forward_trace_agrees_with_backward_on_random_graphs(program):
    inputs, steps = program
    leaves, root = run_program(inputs, steps, Value, ValueLib)
    used = set(topological_order(root))
    leaves = [x for x in leaves if x in used]  # an unused input is an error (tested below)
    traces = [explain(root, mode="forward", wrt=x) for x in leaves]
    assert all(v.grad == 0.0 for v in leaves)  # explain only looks
    root.backward()
    for x, trace in zip(leaves, traces):
        assert isinstance(trace, ForwardTrace)
        assert math.isclose(trace.tangent, x.grad, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(trace.reverse, x.grad, rel_tol=1e-12, abs_tol=1e-15)
        for step in trace:  # each tangent is the sum of its inputs' parts, in order
            assert step.tangent == sum(e.contribution for e in step.inputs) or math.isclose(
                step.tangent, sum(e.contribution for e in step.inputs), rel_tol=1e-12
            )


def test_forward_trace_of_the_course_example():
    x, w, b = Value(2.0, label="x"), Value(3.0, label="w"), Value(1.0, label="b")
    L = (w * x + b - 5) ** 2
    trace = explain(L, mode="forward", wrt=x)
    text = str(trace)
    assert len(trace) == 4 and [s.op for s in trace] == ["*", "+", "-", "**2"]
    assert trace.steps[0].inputs[1].input == "x" and trace.steps[0].inputs[1].input_tangent == 1.0
    assert text.splitlines()[-1] == (
        "Forward mode: dL/dx = 12; reverse mode on the same graph: 12 (they agree)"
    )
    assert trace.rows()[0]["local"] == 2.0  # d(w·x)/dw = x, the number backward multiplies too
    assert "<table>" in trace._repr_html_()


def test_forward_trace_errors():
    x, y = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match="needs wrt="):
        explain(x * 2, mode="forward")
    with pytest.raises(ValueError, match="wrt is not a value the root depends on"):
        explain(x * 2, mode="forward", wrt=y)
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward'"):
        explain(x * 2, mode="sideways")
    import chainrule

    with pytest.raises(TypeError, match="traces the scalar engine"):
        explain(chainrule.tensor([1.0], requires_grad=True).sum(), mode="forward", wrt=x)

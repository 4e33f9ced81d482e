"""Every demo's claimed effect, at reduced size, and the ``chainrule demo`` command."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from chainrule import tensor
from chainrule.cli import main
from chainrule.demos import DEMOS, DemoResult, run_demo
from chainrule.demos.diagnostics import collapse_linear, double_softmax_floor
from chainrule.nn import Identity, Linear, Sequential


@pytest.fixture(scope="module")
def results() -> dict[str, DemoResult]:
    """Each demo run once, quick, seed 0 (shared by the tests below)."""
    return {}


def get(results: dict[str, DemoResult], name: str) -> DemoResult:
    if name not in results:
        results[name] = run_demo(name, seed=0, quick=True)
    return results[name]


REQUIRED_KEYS = {
    "forward-vs-reverse": ["slope_passes_forward", "slope_passes_reverse", "gradient", "jacobian"],
    "curvature": ["course_lambda_max", "mlp_lambda_max", "loss_below", "loss_above"],
    "grad-accumulation": ["grad_first", "grad_second", "grad_ratio"],
    "zero-grad-bug": ["final_loss_correct", "final_loss_forgot"],
    "xor": ["linear_accuracy", "mlp_accuracy", "hand_weights_output"],
    "linear-collapse": ["max_abs_difference", "linear_stack_accuracy", "relu_accuracy"],
    "no-nonlinearity": ["accuracy_with_relu", "accuracy_without"],
    "vanishing-gradients": ["grad_norms_sigmoid", "grad_norms_relu"],
    "double-softmax": ["final_loss_double_softmax", "final_loss_logits"],
    "softmax-ce-gradient": ["grad_autograd", "grad_formula", "softmax_exact"],
    "backprop-by-hand": ["loss_before", "loss_after", "grads", "params_after"],
    "overfitting": ["train_loss", "val_loss", "best_epoch"],
    "feature-space": ["linear_accuracy_input_space", "linear_accuracy_feature_space"],
    "init": ["activation_std", "grad_norms"],
    "gradient-check": ["float64_max_relative_difference", "float32_max_relative_difference"],
}


def test_registry_covers_every_demo():
    assert set(DEMOS) == set(REQUIRED_KEYS)


@pytest.mark.parametrize("name", list(REQUIRED_KEYS))
def test_result_shape_keys_verdict_and_json(results, name):
    r = get(results, name)
    assert r.name == name
    for key in REQUIRED_KEYS[name]:
        assert key in r.measured, key
    assert r.verdict.holds, r.verdict.text
    data = json.loads(r.to_json())  # strict JSON: no NaN, everything serialisable
    assert set(REQUIRED_KEYS[name]) <= set(data["measured"])
    assert data["verdict"]["holds"] is True
    text = r.narrate()
    assert " ".join(r.claim.split()) in " ".join(text.split()) and "HOLDS" in text


@pytest.mark.parametrize("width", [60, 99])
def test_narration_breaks_lines_between_words(results, width):
    """A 100-column terminal never splits a word: lines are wrapped at spaces, indented."""
    for name in ("softmax-ce-gradient", "gradient-check", "xor"):
        r = get(results, name)
        text = r.narrate(width=width)
        words = [w for line in text.splitlines() for w in line.split()]
        whole = r.claim.split() + r.verdict.text.split()
        assert all(w in words for w in whole)  # no word was cut in two
        for line in text.splitlines():
            assert len(line) <= width or " " not in line.strip(), line


def test_grad_accumulation_doubles_exactly(results):
    m = get(results, "grad-accumulation").measured
    assert m["grad_ratio"] == 2.0
    np.testing.assert_array_equal(m["grad_second"], 2 * m["grad_first"])
    assert m["grad_after_zero_grad"] is None  # zero_grad(set_to_none=True), as in torch
    assert "retain_graph=True" in m["second_backward_without_retain_graph"]
    assert m["third_equals_3x_first"]


def test_forgetting_zero_grad_hurts(results):
    m = get(results, "zero-grad-bug").measured
    assert m["final_loss_forgot"] > 2 * m["final_loss_correct"]
    assert m["grad_norm_ratio_at_end"] > 10


def test_xor_linear_fails_mlp_fits_hand_weights_exact(results):
    m = get(results, "xor").measured
    assert m["linear_accuracy"] <= 0.75 and m["best_line_accuracy"] == 0.75
    assert m["mlp_accuracy"] == 1.0
    assert m["hand_weights_output"].tolist() == [0.0, 1.0, 1.0, 0.0]
    rates = m["success_rate_by_hidden_units"]
    assert rates["8"] >= rates["2"] and rates["8"] == 1.0


def test_linear_collapse(results):
    m = get(results, "linear-collapse").measured
    assert m["slide"]["y_two_layers"] == m["slide"]["y_one_layer"] == [9.0, 10.0]
    assert m["slide"]["b_eff"] == [2.0, 2.0] and m["slide"]["W_eff"] == [[2.0, 1.0], [1.0, 2.0]]
    assert m["max_abs_difference"] < 1e-5
    assert m["max_abs_difference_float32"] < 1e-4
    assert abs(m["linear_stack_accuracy"] - m["single_linear_accuracy"]) < 0.1
    assert m["relu_accuracy"] - m["linear_stack_accuracy"] > 0.3


def test_removing_the_nonlinearity(results):
    m = get(results, "no-nonlinearity").measured
    assert m["accuracy_with_relu"] - m["accuracy_without"] > 0.2


def test_vanishing_gradients_sigmoid_vs_relu_he(results):
    m = get(results, "vanishing-gradients").measured
    sig, relu = np.array(m["grad_norms_sigmoid"]), np.array(m["grad_norms_relu"])
    assert len(sig) == len(relu) == 10
    assert np.all(np.diff(sig) > 0)  # grows from the input side to the output side
    assert sig[-1] / sig[0] > 1e4  # orders of magnitude
    assert relu.max() / relu.min() < 100  # within ~2 orders
    # The notes' activation-free stack shrinks by much less than the 0.25^L story.
    assert 1e-2 < m["input_over_output_notes_code"] < 1


def test_double_softmax_floor(results):
    m = get(results, "double-softmax").measured
    assert m["final_loss_double_softmax"] > m["loss_floor"] > m["final_loss_logits"]
    assert m["min_batch_loss_double_softmax"] >= m["loss_floor"] - 1e-6
    assert m["loss_floor"] == pytest.approx(math.log(1 + 9 / math.e))


def test_softmax_ce_gradient(results):
    m = get(results, "softmax-ce-gradient").measured
    np.testing.assert_allclose(m["grad_autograd"], m["grad_formula"], atol=1e-15)
    assert m["random_max_abs_difference"] < 1e-12
    np.testing.assert_allclose(m["softmax_exact"], [0.659001, 0.242433, 0.098566], atol=1e-6)


def test_backprop_by_hand(results):
    m = get(results, "backprop-by-hand").measured
    assert m["loss_before"] == pytest.approx(0.541740, abs=1e-6)
    g = m["grads"]
    assert (g["w1"], g["b1"], g["w2"], g["b2"]) == pytest.approx(
        (-0.0310582, -0.0621165, -0.229976, -0.418265), abs=1e-6
    )
    assert m["params_after"]["b2"] == pytest.approx(0.209132, abs=1e-6)
    assert m["loss_after"] == pytest.approx(0.434268, abs=1e-6)
    assert m["weights_only_variant"]["loss_after"] == pytest.approx(0.515227, abs=1e-6)
    assert set(m["slide_disagreements"]) == {"L", "y_hat_after", "L_after"}
    assert m["tensor_engine_max_difference"] < 1e-12


def test_overfitting_validation_minimum(results):
    m = get(results, "overfitting").measured
    val, train = m["val_loss"], m["train_loss"]
    best = m["best_epoch"] - 1
    assert val[best] == min(val) and 0 < best < len(val) - 1
    assert val[-1] > val[best] and train[-1] < train[best]
    assert m["gap_at_end"] > m["gap_at_best_epoch"]


def test_feature_space_is_linearly_separable(results):
    m = get(results, "feature-space").measured
    assert m["linear_accuracy_feature_space"] > 0.9
    assert m["linear_accuracy_feature_space"] - m["linear_accuracy_input_space"] > 0.25


def test_init_schemes(results):
    m = get(results, "init").measured
    g = m["activation_std_last_over_first"]
    assert g["N(0,1)"] > 1e3 and 0.5 < g["He"] < 2.0 and g["Xavier"] < 0.5


def test_gradient_check(results):
    m = get(results, "gradient-check").measured
    assert m["float64_ok"] and m["float32_ok"] and not m["buggy_ok"]
    assert max(m["float64_max_relative_difference"].values()) < 1e-6
    assert "1/B" in m["buggy_verdicts"]["0.b"]


def test_every_demo_draws_a_figure(results):
    from matplotlib.figure import Figure

    for name in REQUIRED_KEYS:
        assert isinstance(get(results, name).figure(), Figure)


def test_every_figure_shows_itself_inline(results):
    """No %matplotlib needed: each figure has its own _repr_png_ at its native size."""
    from PIL import Image

    for name in REQUIRED_KEYS:
        fig = get(results, name).figure()
        png = fig._repr_png_()
        width, height = Image.open(io.BytesIO(png)).size
        assert (width, height) == tuple((fig.get_size_inches() * fig.dpi).round().astype(int))


def test_a_result_shows_compactly_and_as_a_card(results):
    result = get(results, "grad-accumulation")
    text = repr(result)
    assert (
        text.startswith("<DemoResult grad-accumulation: HOLDS; grad_ratio = 2") and len(text) < 200
    )
    page = result._repr_html_()
    assert result.claim in page and "HOLDS." in page and "<code>grad_ratio</code>" in page
    assert '<img alt="grad-accumulation figure" src="data:image/png;base64,' in page


def test_unknown_demo_name_raises():
    with pytest.raises(KeyError, match="grad-accumulation"):
        run_demo("no-such-demo")


# ---- diagnostics the demos rely on -----------------------------------------------------------


def test_collapse_linear_matches_the_stack():
    from chainrule import manual_seed

    manual_seed(0)
    stack = Sequential(
        Linear(3, 5, dtype=np.float64),
        Identity(),
        Linear(5, 4, dtype=np.float64),
        Linear(4, 2, dtype=np.float64),
    )
    one = collapse_linear(stack)
    x = tensor(np.random.default_rng(0).normal(size=(7, 3)))
    np.testing.assert_allclose(stack(x).numpy(), one(x).numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="only Linear"):
        from chainrule.nn import ReLU

        collapse_linear(Sequential(Linear(2, 2), ReLU(), Linear(2, 2)))


def test_double_softmax_floor_is_the_minimum():
    # No probability vector p gets cross_entropy(softmax(p)) below the floor; one-hot reaches it.
    rng = np.random.default_rng(0)
    K = 10
    p = rng.dirichlet(np.full(K, 0.3), size=20000)
    loss = -p[:, 0] + np.log(np.exp(p).sum(axis=1))
    floor = double_softmax_floor(K)
    assert loss.min() >= floor
    one_hot = np.eye(K)[0]
    assert -1 + np.log(np.exp(one_hot).sum()) == pytest.approx(floor)


# ---- the command line ------------------------------------------------------------------------


def test_cli_list(capsys):
    assert main(["demo", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(DEMOS)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)  # each with a description


def test_cli_runs_a_demo_and_writes_json_and_png(capsys, tmp_path):
    assert main(["demo", "backprop-by-hand", "--out", str(tmp_path), "--quick"]) == 0
    out = capsys.readouterr().out
    assert "claim:" in out and "verdict:  HOLDS" in out
    data = json.loads((tmp_path / "backprop-by-hand.json").read_text())
    assert data["measured"]["loss_before"] == pytest.approx(0.54174, abs=1e-5)
    png = (tmp_path / "backprop-by-hand.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave nothing behind


def test_cli_unknown_demo_exits_2_and_lists_names(capsys):
    assert main(["demo", "no-such-demo"]) == 2
    err = capsys.readouterr().err
    assert "unknown demo 'no-such-demo'" in err
    for name in DEMOS:
        assert name in err


def test_cli_without_a_name_exits_2(capsys):
    assert main(["demo"]) == 2
    assert "--list" in capsys.readouterr().err


def test_forward_vs_reverse_counts_n_passes_against_one(results):
    m = get(results, "forward-vs-reverse").measured
    for row in m["gradient"]:
        assert row["forward_passes"] == row["n"] and row["reverse_passes"] == 1
        assert row["max_difference"] < 1e-12  # both modes give the same gradient
    for row in m["jacobian"]:
        assert row["reverse_passes"] == row["m"] and row["forward_passes"] == 4


def test_curvature_power_iteration_finds_the_full_hessians_top_eigenvalue(results):
    m = get(results, "curvature").measured
    assert m["course_lambda_max"] == pytest.approx(m["course_hessian_eigenvalues"][-1], rel=1e-6)
    assert m["mlp_lambda_max"] == pytest.approx(m["mlp_lambda_max_exact"], rel=1e-4)
    assert m["loss_above"][-1] > m["loss_above"][0] > m["loss_below"][-1]


def test_gradient_check_says_which_sources_it_compared_without_torch(monkeypatch):
    import builtins  # noqa: PLC0415

    from chainrule.demos import gradient_check  # noqa: PLC0415

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is not installed here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    result = gradient_check(quick=True)
    verdict = result.verdict.text
    assert "all 3 sources agree (hand, autograd, numeric" in verdict
    assert "PyTorch is not installed" in verdict

"""chainrule.lab: the student/solution build and the checkers' feedback.

The build must never leak a solution into the student copy, and the solution copy must
run end to end. The checkers must accept correct code and, for each common mistake
(planted below), name the mistake and the element instead of saying "wrong".
"""

from __future__ import annotations

import ast
import doctest
import importlib
import json

import numpy as np
import pytest

from chainrule import tensor
from chainrule.cli import main
from chainrule.lab import (
    LAB_SOURCE,
    CheckResult,
    build_lab,
    check_cross_entropy,
    check_gradient_prediction,
    check_linear_backward,
    grade_prediction,
    manual,
    reveal_prediction,
    split_solutions,
)

(
    build_module,
    ce_module,
    linear_module,
    prediction_module,
    feedback_module,
    toy_module,
    predictions_module,
) = (
    importlib.import_module(f"chainrule.lab.{name}")
    for name in (
        "build",
        "check_loss",
        "check_linear",
        "check_prediction",
        "feedback",
        "toy",
        "predictions",
    )
)

from notebook_runner import execute  # noqa: E402 - after the lab modules, which it runs


# ========================================================================== the build
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("lab")
    assert main(["lab", "build", "--out", str(out), "--format", "py"]) == 0
    return out


def test_student_copy_holds_no_solution_and_no_marker(built):
    source = LAB_SOURCE.read_text(encoding="utf-8")
    student = (built / "student" / "mlp_lab.py").read_text(encoding="utf-8")
    solution = (built / "solution" / "mlp_lab.py").read_text(encoding="utf-8")
    blocks = split_solutions(source).blocks
    hidden = [
        ln.strip() for b in blocks for ln in b.lines if len(ln.strip().lstrip("#").strip()) > 3
    ]
    assert len(hidden) > 30  # the source really has solutions to hide

    def count(text: str, line: str) -> int:
        return sum(1 for ln in text.splitlines() if ln.strip() == line)

    # A solution line may show in the student copy only as often as the source has it outside
    # the solution blocks (``cr.manual_seed(0)`` is both given code and part of an answer).
    for line in set(hidden):
        outside = count(source, line) - sum(
            1 for b in blocks for ln in b.lines if ln.strip() == line
        )
        assert count(student, line) == outside, line
    for snippet in (
        "delta.T @ X",
        "delta.sum(axis=0)",
        "log_probs",
        '"-", 0.14',
        "W @ W_eff",
        "self.net(x)",
        "loss.backward()",
        "negative, about 0.1",
        "logistic regression",
        "float32 keeps only",
    ):
        assert snippet in solution and snippet not in student, snippet
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "Instructor copy"):
        assert marker not in student
    assert "BEGIN SOLUTION" not in solution and "END SOLUTION" not in solution
    assert 'raise NotImplementedError("your code here")' in student
    assert "*Your answer here.*" in student
    assert "my_sign, my_magnitude = ..., ..." in student


def test_student_copy_is_valid_python_and_a_valid_notebook(built, tmp_path):
    student = (built / "student" / "mlp_lab.py").read_text(encoding="utf-8")
    ast.parse(student)
    jupytext = pytest.importorskip("jupytext")
    nbformat = pytest.importorskip("nbformat")
    written = build_lab(tmp_path, formats=("ipynb",))
    nb = nbformat.read(written["student"][0], as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            ast.parse(cell.source)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # the two copies have the same cells, apart from the instructor banner
    solution = nbformat.read(written["solution"][0], as_version=4)
    assert len(solution.cells) == len(nb.cells) + 1
    assert "pip" in nb.cells[0].source and "find_spec" in nb.cells[0].source  # install first
    assert jupytext.reads(student, fmt="py:percent").cells[0].source == nb.cells[1].source


def test_build_writes_both_formats_by_default(tmp_path, capsys):
    pytest.importorskip("jupytext")
    assert main(["lab", "build", "--out", str(tmp_path)]) == 0
    for kind in ("student", "solution"):
        assert (tmp_path / kind / "mlp_lab.py").is_file()
        json.loads((tmp_path / kind / "mlp_lab.ipynb").read_text(encoding="utf-8"))
    assert "student" in capsys.readouterr().out


def test_solution_copy_runs_end_to_end(built, tmp_path):
    executed = execute(built / "solution" / "mlp_lab.py", tmp_path)
    text = executed.text
    assert "[PASS] linear backward" in text
    assert "[PASS] cross-entropy" in text
    assert "[PASS] prediction for dL/dw1" in text
    assert text.count("VERDICT: all sources agree.") == 2  # float64 and float32
    assert "|difference| 0.0e+00" in text
    assert "one linear layer gives the same logits: True" in text
    acc = {
        (m[0], m[1]): float(m[2])
        for m in __import__("re").findall(
            r"(moons|circles)\s+(ReLU|no nonlinearity)\s+final loss \S+, validation accuracy (\d+\.\d)%",
            text,
        )
    }
    assert acc[("moons", "ReLU")] > 95 and acc[("circles", "ReLU")] > 95
    assert acc[("circles", "no nonlinearity")] < 65  # a line cannot separate circles


@pytest.mark.parametrize(
    "source, message",
    [
        ("# %%\n# BEGIN SOLUTION\nx = 1\n", "line 2: BEGIN SOLUTION is never closed"),
        ("# %%\nx = 1\n# END SOLUTION\n", "line 3: END SOLUTION without a BEGIN SOLUTION"),
        (
            "# %%\n# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n",
            "line 3: BEGIN SOLUTION inside",
        ),
        (
            "# %%\n# BEGIN SOLUTION\nx = 1\n# %%\n# END SOLUTION\n",
            "line 2: BEGIN SOLUTION is not closed",
        ),
        ("# %%\n#BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "line 2: malformed solution marker"),
        ("# %%\n    # end solution\n", "line 2: malformed solution marker"),
    ],
)
def test_bad_markers_stop_the_build_with_the_line(source, message):
    with pytest.raises(ValueError, match=message):
        split_solutions(source)


def test_bad_source_is_one_line_error_from_the_cli(tmp_path, capsys):
    src = tmp_path / "lab.py"
    src.write_text("# %%\n# BEGIN SOLUTION\nx = 1\n", encoding="utf-8")
    assert (
        main(["lab", "build", "--source", str(src), "--out", str(tmp_path / "o"), "--format", "py"])
        == 1
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lab.py line 2" in err
    src.write_text("# %%\nx = 1\n", encoding="utf-8")
    assert (
        main(["lab", "build", "--source", str(src), "--out", str(tmp_path / "o"), "--format", "py"])
        == 1
    )
    assert "no BEGIN SOLUTION" in capsys.readouterr().err


def test_placeholders_keep_indentation_and_markdown_answers_stay_markdown():
    source = (
        "# %% [markdown]\n# Why?\n#\n# BEGIN SOLUTION\n# Because.\n# END SOLUTION\n\n"
        "# %%\ndef f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n\n"
        "# %%\n# BEGIN SOLUTION: answer = ...  # a number\nanswer = 42\n# END SOLUTION\n"
    )
    v = split_solutions(source)
    assert "# *Your answer here.*" in v.student and "Because." not in v.student
    assert '    raise NotImplementedError("your code here")' in v.student
    assert "answer = ...  # a number" in v.student and "42" not in v.student
    assert [b.cell_type for b in v.blocks] == ["markdown", "code", "code"]
    assert "Because." in v.solution and "return 1" in v.solution and "answer = 42" in v.solution


# ======================================================== checker: linear backward
def correct(X, W, delta):
    return delta.T @ X, delta.sum(axis=0), delta @ W  # W is (d_out, d_in), as in PyTorch


def test_linear_accepts_correct_function_class_and_instance():
    assert check_linear_backward(correct).ok
    assert check_linear_backward(manual.Linear).ok
    assert check_linear_backward(manual.Linear(np.ones((2, 3)), np.zeros(2))).ok


def test_a_pytorch_trained_students_dW_is_accepted():
    torch = pytest.importorskip("torch")
    ex = linear_module.linear_example()

    def backward(X, W, delta):  # what PyTorch computes for nn.Linear's weight, (out, in)
        layer = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(W))
        x = torch.from_numpy(X).requires_grad_()
        layer(x).backward(torch.from_numpy(delta))
        return layer.weight.grad.numpy(), layer.bias.grad.numpy(), x.grad.numpy()

    assert ex["W"].shape == (2, 3) and check_linear_backward(backward).ok


def test_linear_names_a_transposed_dW_with_both_shapes_the_layout_and_the_fix():
    result = check_linear_backward(lambda X, W, d: (X.T @ d, d.sum(axis=0), d @ W))
    assert not result.ok and result.mistakes == {"dW": "transposed"}
    text = result.message
    assert "dW (transposed)" in text and "(3, 2)" in text and "(2, 3)" in text
    assert "(d_out, d_in)" in text and "dW = delta.T @ X" in text


def test_a_square_transpose_is_named_with_its_element():
    # with d_in == d_out the shapes agree, so only the values give the transpose away
    from chainrule.lab.feedback import find_mistake

    X, D = (
        np.arange(8.0).reshape(4, 2),
        np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 1.0], [-1.0, 0.5]]),
    )
    f = find_mistake("dW", (X.T @ D).T, X.T @ D)
    assert f.mistake == "transposed" and f.element is not None and "dW[" in f.text()


def test_linear_names_a_sign_error_and_the_element():
    result = check_linear_backward(lambda X, W, d: (-(d.T @ X), d.sum(axis=0), d @ W))
    assert result.mistakes == {"dW": "sign"}
    worst = result.details["dW"].element
    assert f"dW[{worst[0]}, {worst[1]}]" in result.message  # the worst element is named
    X, d = linear_module.linear_example()["X"], linear_module.linear_example()["delta"]
    expected = d.T @ X
    assert worst == np.unravel_index(np.argmax(np.abs(2 * expected)), expected.shape)


@pytest.mark.parametrize("which, expected", [(0, "first example only"), (-1, "last example only")])
def test_linear_names_a_batch_that_was_not_accumulated(which, expected):
    def backward(X, W, d):
        return np.outer(d[which], X[which]), d[which], d @ W  # one example's share only

    result = check_linear_backward(backward)
    assert result.mistakes == {"dW": expected, "db": expected}
    assert f"dW ({expected})" in result.message and "dW[" in result.message
    assert "+=" in result.message  # the hint says how to accumulate


def test_linear_names_a_loop_that_overwrites_instead_of_adding():
    def backward(X, W, d):
        for i in range(len(X)):
            dW = np.outer(d[i], X[i])  # = where += was meant
        return dW, d.sum(axis=0), d @ W

    result = check_linear_backward(backward)
    assert result.mistakes == {"dW": "last example only"}
    assert "overwrote" in result.message


def test_linear_names_a_loop_that_stops_short_and_an_unsummed_db():
    def backward(X, W, d):
        dW = np.zeros_like(W)
        for i in range(len(X) - 1):
            dW += np.outer(d[i], X[i])
        return dW, d, d @ W  # db not summed over the batch

    result = check_linear_backward(backward)
    assert result.mistakes == {"dW": "stopped early", "db": "not summed over the batch"}
    assert "first 3 of the 4 examples" in result.message


def test_linear_names_an_average_over_the_batch():
    result = check_linear_backward(lambda X, W, d: (d.T @ X / len(X), d.mean(axis=0), d @ W))
    assert result.mistakes == {"dW": "extra 1/B", "db": "extra 1/B"}
    assert "divides by the batch size" in result.message


def test_linear_checks_a_layer_class_with_a_wrong_dX():
    class Wrong(manual.Linear):
        def backward(self, grad_out):
            super().backward(grad_out)
            return (grad_out @ self.params["W"]).T  # dX transposed

    result = check_linear_backward(Wrong)
    assert result.mistakes == {"dX": "transposed"}
    assert result.title == "Linear.backward"


def test_linear_turns_crashes_and_placeholders_into_feedback():
    result = check_linear_backward(lambda X, W, d: (d.T @ X, d.sum(axis=0), d @ W.T))  # clash
    assert result.mistakes == {"backward": "error"} and "W is (d_out, d_in)" in result.message

    def unwritten(X, W, d):
        raise NotImplementedError("your code here")

    assert check_linear_backward(unwritten).mistakes == {"backward": "not answered"}
    assert check_linear_backward(lambda X, W, d: (d.T @ X,)).mistakes == {"backward": "wrong shape"}


# ========================================================= checker: cross-entropy
def ce(logits, labels):
    B = len(labels)
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[np.arange(B), labels] -= 1
    return -log_p[np.arange(B), labels].mean(), grad / B


def test_cross_entropy_accepts_correct_code_and_the_manual_layer():
    assert check_cross_entropy(ce).ok
    assert check_cross_entropy(manual.SoftmaxCrossEntropy).ok


def test_cross_entropy_names_a_missing_one_over_B():
    result = check_cross_entropy(lambda z, y: (ce(z, y)[0], ce(z, y)[1] * len(y)))
    assert result.mistakes == {"dlogits": "missing 1/B"}
    assert "dlogits (missing 1/B)" in result.message and "dlogits[" in result.message
    assert "4x too large" in result.message


def test_cross_entropy_names_a_summed_loss_and_a_sign_error():
    assert check_cross_entropy(lambda z, y: (ce(z, y)[0] * len(y), ce(z, y)[1])).mistakes == {
        "loss": "missing 1/B"
    }
    result = check_cross_entropy(lambda z, y: (ce(z, y)[0], -ce(z, y)[1]))
    assert result.mistakes == {"dlogits": "sign"} and "prediction minus target" in result.message


def test_cross_entropy_names_target_mistakes():
    def no_target(z, y):
        loss, _ = ce(z, y)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return loss, p / p.sum(axis=1, keepdims=True) / len(y)

    def every_row(z, y):
        loss, grad = ce(z, y)
        p = grad * len(y)
        p[np.arange(len(y)), y] += 1
        p[:, y] -= 1  # the fancy-indexing slip
        return loss, p / len(y)

    assert check_cross_entropy(no_target).mistakes == {"dlogits": "forgot the target"}
    assert check_cross_entropy(every_row).mistakes == {"dlogits": "target in every row"}


def test_cross_entropy_names_per_example_and_first_example_losses():
    def per_example(z, y):
        log_p = z - z.max(axis=1, keepdims=True)
        log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        return -log_p[np.arange(len(y)), y], ce(z, y)[1]

    assert check_cross_entropy(per_example).mistakes == {"loss": "not averaged"}
    first = check_cross_entropy(lambda z, y: (per_example(z, y)[0][0], ce(z, y)[1]))
    assert first.mistakes == {"loss": "first example only"} and "first example" in first.message


def test_cross_entropy_catches_overflow():
    def naive(z, y):
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        grad = p.copy()
        grad[np.arange(len(y)), y] -= 1
        return -np.log(p[np.arange(len(y)), y]).mean(), grad / len(y)

    result = check_cross_entropy(naive)
    assert result.mistakes == {"stability": "not finite"} and "log-sum-exp" in result.message


# ================================================== checker: gradient prediction
def test_prediction_accepts_a_rough_right_answer():
    for sign, size in (("-", 0.14), ("negative", 0.1), (-1, 0.25)):
        assert grade_prediction("w1", sign, size).ok


def test_prediction_explains_a_wrong_sign():
    result = grade_prediction("w1", "+", 0.14)
    assert result.mistakes == {"sign": "wrong sign"}
    assert "w₂ = -1" in result.message  # the factor that flips the sign


def test_prediction_names_the_factor_left_out():
    result = grade_prediction("w1", "-", 0.046)  # forgot x = 3
    assert (
        result.mistakes == {"magnitude": "left out a factor"} and "without x = 3" in result.message
    )
    result = grade_prediction("w1", "-", 0.92)  # forgot σ'(z₁)
    assert "without σ'(z₁)" in result.message
    assert grade_prediction("w1", "-", 5.0).mistakes == {"magnitude": "wrong size"}


def test_prediction_placeholders_and_steps():
    assert set(grade_prediction("w1", ..., ...).mistakes.values()) == {"not answered"}
    assert grade_prediction("w2", "+", 0.2, steps=1).ok
    with pytest.raises(ValueError, match="w1"):
        grade_prediction("w3", "+", 1.0)


def test_a_prediction_is_stored_first_and_revealed_after(capsys):
    predictions_module.clear()
    with pytest.raises(toy_module.PredictFirstError, match="prediction first"):
        toy_module.toy_gradients()  # no answer before a guess
    recorded = check_gradient_prediction("w1", "+", 5)
    print(recorded)
    shown = capsys.readouterr().out + repr(recorded)
    true = toy_module.engine_gradients()["w1"]
    assert "Recorded" in shown and f"{abs(true):.3g}" not in shown and "0.137" not in shown
    assert toy_module.toy_gradients()["w1"] == true  # unlocked once a guess is stored
    result = reveal_prediction("w1")
    assert result.mistakes == {"sign": "wrong sign", "magnitude": "wrong size"}
    late = check_gradient_prediction("w1", "-", 0.14)  # changed after seeing the answer
    assert late.after_reveal and "after the reveal" in str(late)
    assert reveal_prediction("w1").mistakes == result.mistakes  # the first guess counts
    predictions_module.clear()
    assert reveal_prediction("w2").mistakes == {"prediction": "not answered"}
    predictions_module.clear()


def test_a_prediction_is_graded_on_the_students_own_network():
    net = toy_module.ToyNet(w2=1.0)  # a positive w2 flips every sign upstream of it
    true = toy_module.engine_gradients(net=net)["w1"]
    assert true > 0
    assert grade_prediction("w1", "+", abs(true), net=net).ok
    assert grade_prediction("w1", "-", abs(true), net=net).mistakes == {"sign": "wrong sign"}


def test_toy_gradients_match_autograd_on_tensors():
    import chainrule.nn.functional as F

    net = toy_module.TOY
    p = {
        k: tensor(getattr(net, k), dtype="float64", requires_grad=True) for k in toy_module.WEIGHTS
    }
    h = (p["w1"] * net.x + p["b1"]).sigmoid()
    F.binary_cross_entropy(
        (p["w2"] * h + p["b2"]).sigmoid(), tensor(net.y, dtype="float64")
    ).backward()
    grads = toy_module.engine_gradients()
    for k in toy_module.WEIGHTS:
        assert grads[k] == pytest.approx(p[k].grad.item(), rel=1e-12)


# ===================================================================== the result
def test_check_result_prints_and_is_truthy_only_when_ok():
    good, bad = (
        check_linear_backward(correct),
        check_linear_backward(lambda X, W, d: (-(d.T @ X), *correct(X, W, d)[1:])),
    )
    assert isinstance(good, CheckResult) and bool(good) and not bool(bad)
    assert str(good).startswith("[PASS]") and str(bad).startswith("[NOT YET]")
    assert repr(bad) == str(bad)
    assert "&#10008;" in bad._repr_html_() and "dW (sign)" in bad._repr_html_()
    assert "wrong" not in bad.message.lower().split()  # never just "wrong"
    assert set(bad.details) == {"dW", "db", "dX"} and bad.details["db"].ok


@pytest.mark.parametrize(
    "module",
    [
        build_module,
        ce_module,
        linear_module,
        prediction_module,
        feedback_module,
        toy_module,
        predictions_module,
        importlib.import_module("chainrule.lab"),
    ],
    ids=lambda m: m.__name__,
)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0

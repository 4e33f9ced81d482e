"""``chainrule graph``: the course example, drawings, traces and rejected input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chainrule.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_course_example_prints_the_three_gradients(capsys):
    code, out, _ = run(capsys, "graph", "(w*x + b - 5)**2", "--set", "x=2", "w=3", "b=1")
    assert code == 0
    lines = out.splitlines()
    assert "dL/dw = 8" in lines and "dL/dx = 12" in lines and "dL/db = 4" in lines
    assert lines[0] == "L = (w*x + b - 5)**2 = 4"


def test_explain_and_out(capsys, tmp_path):
    target = tmp_path / "g.svg"
    code, out, _ = run(
        capsys,
        "graph",
        "(w*x + b - 5)**2",
        "--set",
        "x=2",
        "w=3",
        "b=1",
        "--explain",
        "--out",
        str(target),
    )
    assert code == 0
    assert "downstream = upstream × local" in out
    assert "w * x + b - 5" in out  # intermediate nodes are named by their sub-expression
    assert target.exists() and "grad 8" in target.read_text()


def test_functions_and_unary_minus(capsys):
    code, out, _ = run(
        capsys,
        "graph",
        "-tanh(x) + exp(y) * log(z) + sigmoid(relu(x))",
        "--set",
        "x=0.5",
        "y=0",
        "z=2.718281828459045",
    )
    assert code == 0
    assert "dL/dy = 1" in out.splitlines()


@pytest.mark.parametrize(
    "expr, message",
    [
        ("__import__('os').system('true')", "not allowed"),
        ("x.data", "attribute access"),
        ("x[0]", "indexing"),
        ("open(x)", "calling 'open'"),
        ("(lambda: 1)()", "not allowed"),
        ("x if x else x", "if-else"),
        ("x < 1", "comparison"),
        ("x // 2", "floor division"),
        ("~x", "unary invert"),
        ("'a' + x", "only numbers"),
        ("x +", "cannot parse"),
        ("tanh(x, x)", "exactly one argument"),
        ("y * x", "unknown variable 'y'"),
    ],
)
def test_rejections_are_one_clear_line(capsys, expr, message):
    code, out, err = run(capsys, "graph", expr, "--set", "x=1")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("chainrule graph: error:")
    assert message in err


@pytest.mark.parametrize(
    "sets, message",
    [
        (["x"], "expects name=number"),
        (["x=abc"], "'abc' is not a number"),
        (["x=1", "q=2"], "does not use"),
    ],
)
def test_bad_set_arguments(capsys, sets, message):
    code, _, err = run(capsys, "graph", "x * 2", "--set", *sets)
    assert code == 2 and message in err


def test_math_errors_are_reported_not_raised(capsys):
    code, _, err = run(capsys, "graph", "log(x)", "--set", "x=-1")
    assert code == 2 and "log needs a positive number" in err
    code, _, err = run(capsys, "graph", "x / (x - 1)", "--set", "x=1")
    assert code == 2 and "division by zero" in err


def test_console_script_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "chainrule.cli", "graph", "x*x", "--set", "x=3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "dL/dx = 6" in result.stdout


def test_demo_all_runs_every_demo_in_order(capsys, monkeypatch, tmp_path):
    import chainrule.demos as demos

    # Two real demos stand for the thirteen (all of them take ~25 s; test_demos runs each).
    chosen = {name: demos.DEMOS[name] for name in ("grad-accumulation", "zero-grad-bug")}
    monkeypatch.setattr(demos, "DEMOS", chosen)
    code, out, err = run(capsys, "demo", "all", "--quick", "--out", str(tmp_path))
    assert code == 0, err
    headers = [line for line in out.splitlines() if line.startswith("== ")]
    assert headers == ["== grad-accumulation (1/2) ==", "== zero-grad-bug (2/2) =="]
    assert (tmp_path / "grad-accumulation.json").is_file()
    assert (tmp_path / "zero-grad-bug.json").is_file()


def test_demo_narration_wraps_at_word_boundaries():
    from chainrule.cli.demo import wrap_narration

    text = "  verdict:  HOLDS. " + " ".join(f"word{i}" for i in range(60))
    lines = wrap_narration(text, 100).splitlines()
    assert len(lines) > 1 and all(len(line) < 100 for line in lines)
    assert all(line.startswith(" " * 12) for line in lines[1:])
    words = " ".join(line.strip() for line in lines).split()
    assert words == text.split()  # no word broken or lost


def test_default_train_note_is_short_information(capsys, monkeypatch, tmp_path):
    from chainrule.training.datasets import load_training_data

    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "nothing-here"))
    note = load_training_data("mnist", None, 0.1, 0).note
    assert note.startswith("no MNIST IDX files in ") and "embedded" in note
    assert len(note) - len(str(tmp_path / "nothing-here")) < 110  # the 330-character one is gone
    assert "error" not in note.lower()

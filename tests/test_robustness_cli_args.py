"""Every numeric option of ``chainrule`` against bad values: refused as the line is read, in one line.

For each (command, option) pair and each bad value: exit status 2, exactly one line on stderr
that names the option, no traceback, and the command's work never starts (its ``run`` is
replaced by one that fails the test). The valid ends of each range are accepted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.cli import build_parser, main
from chainrule.cli import demo as demo_command
from chainrule.cli import train as train_command
from chainrule.cli.argtypes import SEED_MAX

# (command, option, the lowest and highest value accepted, whether it takes whole numbers only)
OPTIONS = [
    ("train", "--hidden", 1, train_command.MAX_WIDTH, True),
    ("train", "--epochs", 0, train_command.MAX_EPOCHS, True),
    ("train", "--batch-size", 1, train_command.MAX_BATCH, True),
    ("train", "--seed", 0, SEED_MAX, True),
    ("train", "--lr", None, None, False),  # (0, inf): positive and finite
    ("train", "--momentum", 0, None, False),  # [0, 1)
    ("train", "--weight-decay", 0, 1, False),
    ("train", "--val-fraction", 0, None, False),  # [0, 1)
    ("train", "--threads", 1, 1024, True),
    ("demo", "--seed", 0, SEED_MAX, True),
    ("demo", "--dpi", 20, 600, True),
]
# Bad for every option: not numbers, non-finite, unicode digits, empty, enormous.
BAD_FOR_ALL = [
    "abc",
    "",
    " ",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "٣",
    "１",
    "0x10",
    "1,5",
    "--",
    "9" * 5000,
]
BAD_WHOLE = ["1.5", "-1", "1e3", "100000000", str(SEED_MAX + 1), "-0.5"]
BAD_REAL = {
    "--lr": ["0", "-0.01", "-1e-300"],
    "--momentum": ["1", "-0.1", "2"],
    "--weight-decay": ["-0.1", "1.5"],
    "--val-fraction": ["1", "-0.1", "1.0"],
}


def cases():
    for command, option, _, _, whole in OPTIONS:
        bad = BAD_FOR_ALL + (BAD_WHOLE if whole else BAD_REAL[option])
        for value in bad:
            if whole and option == "--seed" and value == "100000000":
                continue  # a valid seed
            yield pytest.param(command, option, value, id=f"{command}{option}={value[:12]!r}")


@pytest.fixture
def no_work(monkeypatch):
    """Make every command's work fail the test: a refused option must stop before it."""

    def ran(args):
        raise AssertionError(f"the command ran with {args}")

    for module in (train_command, demo_command):
        monkeypatch.setattr(module, "run", ran)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code, out, err, command, option):
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith(f"chainrule {command}: error: argument {option}"), err
    assert "Traceback" not in err and len(err) <= 500


@pytest.mark.parametrize("command, option, value", list(cases()))
def test_bad_values_are_refused_before_any_work(capsys, no_work, command, option, value):
    # "--opt=VALUE" so that values starting with "-" reach the option's type, as typed.
    code, out, err = run(capsys, command, f"{option}={value}")
    assert_refused(code, out, err, command, option)


@pytest.mark.parametrize("command, option, low, high, whole", OPTIONS)
def test_the_ends_of_each_range(command, option, low, high, whole):
    parser = build_parser()
    dest = option.lstrip("-").replace("-", "_")
    accepted = {"--lr": ["1e-12", "10", "1e6"], "--momentum": ["0", "0.999"]}
    accepted |= {"--val-fraction": ["0", "0.999"]}
    values = accepted.get(option, []) + [str(v) for v in (low, high) if v is not None]
    for value in values:
        args = parser.parse_args([command, f"{option}={value}"])
        got = getattr(args, dest)
        got = got[0] if isinstance(got, list) else got
        assert got == (int(value) if whole else float(value))
    for value in [low - 1 if whole else None, high + 1 if high is not None else None]:
        if value is not None:
            with pytest.raises(SystemExit):
                parser.parse_args([command, f"{option}={value}"])


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(OPTIONS),
    st.one_of(
        st.text(max_size=12),
        st.integers(-(2**70), 2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    ),
)
def test_any_value_is_accepted_in_range_or_refused_in_one_line(capsys, spec, value):
    command, option, low, high, whole = spec
    parser = build_parser()
    try:
        args = parser.parse_args([command, f"{option}={value}"])
    except SystemExit as e:
        _, err = capsys.readouterr()
        assert e.code == 2 and err.count("\n") == 1 and option in err and "Traceback" not in err
        return
    got = getattr(args, option.lstrip("-").replace("-", "_"))
    got = got[0] if isinstance(got, list) else got
    assert isinstance(got, int if whole else float)
    assert (low is None or got >= low) and (high is None or got <= high)


def test_too_many_hidden_layers(capsys, no_work):
    code, out, err = run(capsys, "train", "--hidden", *["8"] * (train_command.MAX_LAYERS + 1))
    assert_refused(code, out, err, "train", "--hidden")
    assert "at most 16 hidden layers" in err


@pytest.mark.parametrize("value", ["x=nan", "x=inf", "x=-inf", "x=1e999", "x=", "=1", "x"])
def test_graph_set_values(capsys, value):
    code, out, err = run(capsys, "graph", "x*2", "--set", value)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("chainrule graph: error:") and "Traceback" not in err


# ---- the command line itself --------------------------------------------------------------------
def test_bare_chainrule_prints_help(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    assert "usage: chainrule" in out and "train" in out and "--version" in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"chainrule {chainrule.__version__}"


@pytest.mark.parametrize(
    "argv, named",
    [
        (["nosuchcommand"], "invalid choice"),
        (["train", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["train", "--dataset", "cifar"], "--dataset"),
        (["lab"], "ACTION"),
        (["predict"], "IMAGE"),
        (["train", "--hidden"], "--hidden"),
    ],
)
def test_usage_errors_are_one_line(capsys, argv, named):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and named in err, err


def test_an_unexpected_error_is_one_line_and_debug_shows_it(capsys, monkeypatch):
    import chainrule.scalar.expr as expr

    def broken(text, variables):
        raise RuntimeError("something nobody expected\nsecond line")

    monkeypatch.setattr(expr, "evaluate", broken)
    code, out, err = run(capsys, "graph", "x", "--set", "x=1")
    assert code == 1 and out == ""
    assert err.count("\n") == 1, err
    assert "RuntimeError: something nobody expected second line" in err
    assert "(chainrule/cli/graph.py:" in err and "run with --debug for the traceback" in err
    code, _, err = run(capsys, "graph", "x", "--set", "x=1", "--debug")
    assert code == 1 and "Traceback (most recent call last)" in err


def test_warnings_become_one_line_notes(capsys, monkeypatch):
    import warnings

    import chainrule.scalar.expr as expr

    real = expr.evaluate

    def noisy(text, variables):
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        return real(text, variables)

    monkeypatch.setattr(expr, "evaluate", noisy)
    code, _, err = run(capsys, "graph", "x", "--set", "x=1")
    assert code == 0
    assert err == "chainrule graph: note: overflow encountered in multiply\n"


def test_latest_checkpoint_shortcut(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "eval")
    assert code == 2 and err.count("\n") == 1 and "no run with a checkpoint.npz under runs" in err
    code, _, err = run(capsys, "eval", "--checkpoint", tmp_path)
    assert code == 2 and "is a directory without a checkpoint.npz" in err


def test_the_console_script_launcher_runs():
    result = subprocess.run(
        [sys.executable, "-m", "chainrule_launcher", "graph", "-x*x", "--set", "x=3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "dL/dx = -6" in result.stdout


def test_argtypes_reject_what_int_and_float_would_take():
    from chainrule.cli.argtypes import integer, real

    for text in ["٣", "１２", "1e3"]:
        with pytest.raises(argparse.ArgumentTypeError):
            integer(0, 10**6)(text)
    for text in ["٣.٥", "nan", "infinity"]:
        with pytest.raises(argparse.ArgumentTypeError):
            real(0.0, 10.0)(text)


def test_a_ctrl_c_that_python_wrapped_is_still_an_interrupt(capsys, monkeypatch):
    import chainrule.scalar.expr as expr

    def wrapped(text, variables):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:  # as Python does around a class's __set_name__
            raise RuntimeError("Error calling __set_name__ on 'x'") from e

    monkeypatch.setattr(expr, "evaluate", wrapped)
    code, out, err = run(capsys, "graph", "x", "--set", "x=1")
    assert code == 130 and err == "chainrule graph: interrupted\n"


def test_latest_is_the_newest_run_and_a_run_directory_stands_for_its_checkpoint(tmp_path):
    import os

    from chainrule.cli.checkpoint_path import resolve_checkpoint

    for i, name in enumerate(["b-older", "a-newer"]):
        (tmp_path / name).mkdir()
        path = tmp_path / name / "checkpoint.npz"
        path.write_bytes(b"")
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert resolve_checkpoint("latest", tmp_path) == tmp_path / "a-newer" / "checkpoint.npz"
    assert resolve_checkpoint(None, tmp_path) == tmp_path / "a-newer" / "checkpoint.npz"
    run_dir = tmp_path / "b-older"
    assert resolve_checkpoint(str(run_dir), tmp_path) == run_dir / "checkpoint.npz"
    assert resolve_checkpoint("x.npz", tmp_path).name == "x.npz"  # the loader names a missing one

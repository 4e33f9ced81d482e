"""Ctrl-C at any moment of ``chainrule train``, and a closed stdout: exit 130 in one line, files intact.

Each run is the console script's code path (``chainrule_launcher``) in a child process. The
child says "go" just before the launcher runs (and imports chainrule), and the signal is sent
at an offset from then: during the package's import, the data load, the first steps, or
mid-training. A Ctrl-C during the interpreter's own start-up, before any chainrule code runs,
is Python's affair and is not tested here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chainrule.training.checkpoint import load_checkpoint

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SRC = Path(__file__).resolve().parents[1] / "src"
# The launcher itself imports only signal and sys; "go" comes right before it takes over.
GO = (
    "import sys; from chainrule_launcher import main; "
    "sys.stdout.write('go\\n'); sys.stdout.flush(); sys.exit(main())"
)
# Long enough that no offset below reaches its end.
TRAIN = ["train", "--dataset", "moons", "--hidden", "8", "--epochs", "100000"]


def start(out: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    child = subprocess.Popen(
        [sys.executable, "-c", GO, *TRAIN, "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout.readline() == "go\n"
    return child


def finish(child: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"still running a minute after Ctrl-C; stderr: {err[-500:]}")
    return child.returncode, out, err


def assert_intact(out: Path) -> None:
    """No half-written or temporary file, no lock; a checkpoint that is there loads."""
    if not out.exists():
        return
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    assert ".chainrule-train.lock" not in names, names
    if "checkpoint.npz" in names:
        load_checkpoint(out / "checkpoint.npz")


def assert_one_interrupt_line(code: int, err: str) -> None:
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.count("\n") == 1 and "interrupted" in err, err


@pytest.mark.parametrize("offset", [0.0, 0.02, 0.05, 0.1, 0.25, 0.4, 0.6, 1.0, 1.5])
def test_ctrl_c_at_an_offset_exits_130_in_one_line(tmp_path, offset):
    out = tmp_path / "run"
    child = start(out)
    time.sleep(offset)
    assert child.poll() is None, "the run ended before its Ctrl-C"
    child.send_signal(signal.SIGINT)
    code, _, err = finish(child)
    assert_one_interrupt_line(code, err)
    assert_intact(out)


def _wait_for_epoch(child: subprocess.Popen) -> list[str]:
    lines = []
    while not (lines and lines[-1].startswith("epoch ")):
        line = child.stdout.readline()
        assert line, "the run ended before its first epoch"
        lines.append(line)
    return lines


def test_ctrl_c_while_training_saves_a_checkpoint_that_resumes(tmp_path):
    out = tmp_path / "run"
    child = start(out)
    _wait_for_epoch(child)
    child.send_signal(signal.SIGINT)
    code, _, err = finish(child)
    assert_one_interrupt_line(code, err)
    assert "checkpoint saved" in err and "--resume" in err
    assert_intact(out)
    meta = load_checkpoint(out / "checkpoint.npz").meta
    assert meta["epoch"] >= 1


def test_two_quick_ctrl_cs_stop_at_once_and_keep_the_last_checkpoint(tmp_path):
    out = tmp_path / "run"
    child = start(out)
    _wait_for_epoch(child)
    child.send_signal(signal.SIGINT)
    child.send_signal(signal.SIGINT)
    code, _, err = finish(child)
    assert_one_interrupt_line(code, err)
    assert_intact(out)
    assert (out / "checkpoint.npz").is_file()


def test_a_closed_stdout_does_not_stop_training(tmp_path):
    """``chainrule train ... | head -1``: the reader leaves, the run finishes and says nothing."""
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    child = subprocess.Popen(
        [sys.executable, "-m", "chainrule_launcher", *TRAIN[:-1], "3", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout.readline().startswith(b"data: ")
    child.stdout.close()  # as `head -1` does after its line
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0, err
    assert err == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.npz",
        "curves.png",
        "metrics.jsonl",
        "summary.json",
    ]

"""``chainrule train --out DIR`` loses nothing: generated run folders, a second writer, killed runs.

Families:

* every non-empty subset of the files a run writes, each already there as a user's file (text,
  empty, or a folder in the way): a fresh run refuses with exit 2 and one line naming one of them,
  before any data is loaded, and leaves every file as it was; ``--force`` replaces them;
* unusable locations (a file, a read-only folder): one line, exit 2, before the data is loaded;
* two writers: a run holding DIR's lock makes a second exit 2 at once naming the holder's pid;
  two real processes started together (at several offsets): one succeeds, one exits 2, and the
  winner's files are intact;
* a run killed with SIGKILL: its lock never blocks the next run, and its temporary files go.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.training import loop
from chainrule.training.run_dir import LOCK_FILE, RUN_FILES, claim_run_directory

MOONS = ["--dataset", "moons", "--hidden", "8", "--lr", "0.1"]
SRC = Path(__file__).resolve().parents[1] / "src"


def run_cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.fixture
def no_data_loading(monkeypatch):
    """Make loading the data an error, to prove a refusal came before it."""

    def refuse(*args, **kwargs):
        raise AssertionError("the data was loaded before the run directory was checked")

    monkeypatch.setattr(loop, "load_training_data", refuse)


SUBSETS = [s for n in range(1, len(RUN_FILES) + 1) for s in itertools.combinations(RUN_FILES, n)]
KINDS = {
    "text": lambda p: p.write_text("my own notes\n"),
    "empty": lambda p: p.write_bytes(b""),
    "folder": lambda p: (p.mkdir(), (p / "inside.txt").write_text("mine")),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("subset", SUBSETS, ids="+".join)
def test_a_fresh_run_never_replaces_a_users_file(tmp_path, no_data_loading, subset, kind):
    for name in subset:
        KINDS[kind](tmp_path / name)
    before = snapshot(tmp_path)
    for extra in ([], ["--force"] if kind == "folder" else []):
        code, _, err = run_cli("train", *MOONS, "--out", tmp_path, *extra)
        assert code == 2 and one_line(err), err
        assert any(name in err for name in subset)
        assert snapshot(tmp_path) == before


@pytest.mark.parametrize("subset", [("summary.json",), ("metrics.jsonl", "curves.png")], ids=str)
def test_force_replaces_them(tmp_path, subset):
    for name in subset:
        (tmp_path / name).write_text("old\n")
    code, _, err = run_cli("train", *MOONS, "--epochs", 1, "--out", tmp_path, "--force")
    assert code == 0, err
    assert all((tmp_path / name).read_bytes() != b"old\n" for name in subset)


def test_locations_that_cannot_hold_a_run(tmp_path, no_data_loading):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    code, _, err = run_cli("train", *MOONS, "--out", a_file)
    assert code == 2 and one_line(err) and "is a file, not a directory" in err
    code, _, err = run_cli("train", *MOONS, "--out", a_file / "below")
    assert code == 2 and one_line(err) and str(a_file) in err
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "readonly"
        locked.mkdir(mode=0o500)
        code, _, err = run_cli("train", *MOONS, "--out", locked)
        assert code == 2 and one_line(err) and "no permission" in err


def test_a_second_writer_is_refused_naming_the_first(tmp_path, no_data_loading):
    with claim_run_directory(tmp_path, resume=False, force=False):
        for extra in ([], ["--force"]):
            code, _, err = run_cli("train", *MOONS, "--out", tmp_path, *extra)
            assert code == 2 and one_line(err), err
            assert f"in use by another chainrule train (pid {os.getpid()})" in err
    assert not (tmp_path / LOCK_FILE).exists()


def _train_process(out: Path, epochs: int = 3) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.Popen(
        [sys.executable, "-m", "chainrule.cli", "train", *MOONS, "--epochs", str(epochs)]
        + ["--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("offset", [0.0, 0.3, 0.6])
def test_two_runs_started_together_one_wins_one_is_told(tmp_path, offset):
    first = _train_process(tmp_path)
    time.sleep(offset)
    second = _train_process(tmp_path)
    results = [(p.wait(timeout=120), *p.communicate()) for p in (first, second)]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    _, _, loser_err = next(r for r in results if r[0] == 2)
    assert one_line(loser_err)
    assert (
        "in use by another chainrule train (pid" in loser_err or "already holds a run" in loser_err
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["epochs"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(RUN_FILES)


def test_a_killed_run_leaves_no_lock_and_its_temporaries_are_cleaned(tmp_path):
    run = _train_process(tmp_path, epochs=10_000)
    deadline = time.monotonic() + 60
    while not (tmp_path / "checkpoint.npz").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.communicate()
    assert (tmp_path / LOCK_FILE).exists()  # left behind, but the kernel dropped the lock
    (tmp_path / ".checkpoint.npz.abc123.tmp").write_bytes(b"PK half a zip")  # as a kill mid-write
    code, _, err = run_cli("train", "--epochs", 1, "--out", tmp_path, "--resume")  # test only
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(RUN_FILES)

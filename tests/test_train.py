"""``chainrule train`` and ``chainrule.training.loop``: files, resume bit-identity, atomic checkpoints, errors."""

from __future__ import annotations

import doctest
import hashlib
import io
import json
import re
import signal

import numpy as np
import pytest

import chainrule.autograd
from chainrule import checkpoint as checkpoint_module
from chainrule import metrics as metrics_module
from chainrule import models as models_module
from chainrule import nn
from chainrule import train as train_module
from chainrule import train_data as train_data_module
from chainrule.cli import main
from chainrule.training.loop import TrainConfig, train

# Small and fast: the 2-D moons set (900 training points, 15 steps per epoch) with a small MLP.
MOONS = ["--dataset", "moons", "--hidden", "16", "16", "--lr", "0.1"]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def arrays(path):
    """Every array of a checkpoint, and its metadata with the timings taken out."""
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    for row in meta["history"]:
        row.pop("seconds")
    return data, meta


def assert_same_run(a, b):
    (arrays_a, meta_a), (arrays_b, meta_b) = (
        arrays(a / "checkpoint.npz"),
        arrays(b / "checkpoint.npz"),
    )
    assert arrays_a.keys() == arrays_b.keys()
    for key in arrays_a:
        assert np.array_equal(arrays_a[key], arrays_b[key]), key
    assert meta_a["history"] == meta_b["history"]
    assert meta_a["rng"] == meta_b["rng"]
    assert meta_a["epoch"] == meta_b["epoch"]


@pytest.mark.parametrize(
    "module", [checkpoint_module, metrics_module, models_module, train_data_module, train_module]
)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_end_to_end_writes_every_file(capsys, tmp_path):
    code, out, err = cli(capsys, "train", *MOONS, "--epochs", 3, "--out", tmp_path)
    assert code == 0, err
    assert "data: moons" in out and "epoch 3/3" in out and "test: loss" in out

    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert set(rows[0]) == {
        "epoch",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "lr",
        "seconds",
    }
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]  # it learns

    summary = json.loads((tmp_path / "summary.json").read_text())
    keys = (
        "test_accuracy",
        "test_loss",
        "params",
        "epochs",
        "seconds",
        "dataset",
        "seed",
        "data_source",
        "config",
    )
    assert all(key in summary for key in keys)
    assert (
        summary["epochs"] == 3 and summary["dataset"] == "moons" and summary["test_accuracy"] > 0.8
    )
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as z:  # no pickle anywhere
        keys = set(z.files)
        meta = json.loads(str(z["meta"]))
    assert {
        "model.0.weight",
        "model.0.bias",
        "model.4.weight",
        "optim.state.0.momentum_buffer",
        "meta",
    } <= keys
    assert meta["epoch"] == 3 and meta["config"]["dataset"] == "moons"


def test_default_model_on_the_embedded_sample(capsys, tmp_path):
    code, out, err = cli(capsys, "train", "--epochs", 1, "--out", tmp_path, "--data-dir", tmp_path)
    assert code == 0, err
    assert "mnist-sample" in out  # says which data: no MNIST files in tmp_path, so the sample
    assert "269,322" in out and "537,600 FLOPs" in out
    assert "Linear(in_features=784, out_features=256" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (
        summary["params"] == 269322
        and summary["data"] == "mnist-sample"
        and summary["test_accuracy"] > 0.8
    )


def test_python_api_returns_the_summary(tmp_path):
    lines = []
    summary = train(
        TrainConfig(dataset="xor", hidden=(8,), epochs=2, lr=0.1), tmp_path, log=lines.append
    )
    assert summary["epochs"] == 2 and summary["params"] == 2 * 8 + 8 + 8 * 2 + 2
    assert any(line.startswith("epoch 2/2") for line in lines)
    # The same dict as summary.json, which a notebook shows as a table with the curves.
    on_disk = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(summary)) == on_disk
    shown = summary._repr_html_()
    assert "test accuracy" in shown and f"{summary['test_accuracy']:.4f}" in shown
    assert shown.count("data:image/png;base64,") == 1
    (tmp_path / "curves.png").unlink()  # a folder changed since: the table alone
    assert "data:image/png" not in summary._repr_html_()


@pytest.mark.parametrize(
    "optimizer", [["--momentum", "0.9"], ["--optimizer", "adam", "--lr", "0.01"]]
)
def test_resume_is_bit_identical(capsys, tmp_path, optimizer):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert cli(capsys, "train", *MOONS, *optimizer, "--epochs", 3, "--out", straight)[0] == 0
    assert cli(capsys, "train", *MOONS, *optimizer, "--epochs", 2, "--out", resumed)[0] == 0
    code, out, _ = cli(
        capsys, "train", "--epochs", 3, "--out", resumed, "--resume"
    )  # settings from the checkpoint
    assert code == 0 and "resuming from" in out
    assert_same_run(straight, resumed)
    lines = (resumed / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 3


def _interrupt_at(monkeypatch, call):
    """Make the loss send SIGINT (a Ctrl-C) to this process on its ``call``-th evaluation in training."""
    counter = {"n": 0}
    original = nn.CrossEntropyLoss.forward

    def forward(self, input, target):
        counter["n"] += 1
        if counter["n"] == call:
            signal.raise_signal(signal.SIGINT)
        return original(self, input, target)

    monkeypatch.setattr(nn.CrossEntropyLoss, "forward", forward)


def test_ctrl_c_mid_epoch_saves_and_resumes_bit_identically(capsys, tmp_path, monkeypatch):
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    assert cli(capsys, "train", *MOONS, "--epochs", 2, "--out", straight)[0] == 0
    with monkeypatch.context() as m:
        _interrupt_at(m, 20)  # epoch 2, step 5 of 15
        code, out, err = cli(capsys, "train", *MOONS, "--epochs", 2, "--out", stopped)
    assert code == 130
    assert "epoch 2, step 5/15" in err and f"--resume --out {stopped}" in err
    meta = arrays(stopped / "checkpoint.npz")[1]
    assert meta["epoch"] == 1 and meta["partial_epoch"]["batches"] == 5
    assert cli(capsys, "train", "--out", stopped, "--resume")[0] == 0
    assert_same_run(straight, stopped)


def test_a_second_ctrl_c_stops_at_once_keeping_the_last_epoch(capsys, tmp_path, monkeypatch):
    original = nn.CrossEntropyLoss.forward
    calls = {"n": 0}

    def forward(self, input, target):
        calls["n"] += 1
        if calls["n"] == 20:  # two presses within one step
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
        return original(self, input, target)

    monkeypatch.setattr(nn.CrossEntropyLoss, "forward", forward)
    code, _, err = cli(capsys, "train", *MOONS, "--epochs", 3, "--out", tmp_path)
    assert code == 130 and "last completed epoch's checkpoint is kept" in err
    meta = arrays(tmp_path / "checkpoint.npz")[1]
    assert meta["epoch"] == 1 and meta["partial_epoch"] is None
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back


def test_ctrl_c_on_the_last_step_keeps_the_epoch_checkpoint(capsys, tmp_path, monkeypatch):
    _interrupt_at(monkeypatch, 15)  # the last step of epoch 1: stop at the epoch boundary
    code, _, err = cli(capsys, "train", *MOONS, "--epochs", 3, "--out", tmp_path)
    assert code == 130 and "stopped after epoch 1" in err
    assert arrays(tmp_path / "checkpoint.npz")[1]["partial_epoch"] is None


def test_a_crash_while_writing_keeps_the_previous_checkpoint(capsys, tmp_path, monkeypatch):
    assert cli(capsys, "train", *MOONS, "--epochs", 1, "--out", tmp_path)[0] == 0
    before = (tmp_path / "checkpoint.npz").read_bytes()

    def half_then_fail(file, arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("No space left on device")

    monkeypatch.setattr(checkpoint_module, "_write_npz", half_then_fail)
    code, _, err = cli(capsys, "train", "--epochs", 2, "--out", tmp_path, "--resume")
    assert code == 1 and "No space left on device" in err
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        "checkpoint.npz",
        "curves.png",
        "metrics.jsonl",
        "summary.json",
    ]  # no temporary file


@pytest.fixture
def trained(capsys, tmp_path):
    """A finished one-epoch moons run."""
    assert cli(capsys, "train", *MOONS, "--epochs", 1, "--out", tmp_path)[0] == 0
    return tmp_path


def _rewrite(path, change, rehash=True):
    """Change the arrays and save them again; with ``rehash`` the metadata gets their new SHA-256s,
    so the checks past the hash are reached."""
    with np.load(path, allow_pickle=False) as z:
        entries = {k: z[k] for k in z.files}
    change(entries)
    if rehash and "meta" in entries:
        try:
            meta = json.loads(str(entries["meta"]))
        except ValueError:  # the metadata itself is the damage
            meta = None
        if isinstance(meta, dict):
            meta["sha256"] = {k: _sha256(v) for k, v in entries.items() if k != "meta"}
            entries["meta"] = np.array(json.dumps(meta))
    np.savez(path, **entries)


def _sha256(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)  # the pickled case must reach the dtype check
    return hashlib.sha256(buf.getvalue()).hexdigest()


DAMAGE = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:1000]), "not a readable zip archive"),
    "not a zip": (lambda p: p.write_bytes(b"hello"), "not a checkpoint"),
    "no meta": (lambda p: _rewrite(p, lambda e: e.pop("meta")), "no 'meta' entry"),
    "bad json": (
        lambda p: _rewrite(p, lambda e: e.update({"meta": np.array("{not json")})),
        "not valid JSON",
    ),
    "pickled": (
        lambda p: _rewrite(p, lambda e: e.update({"model.0.bias": np.array([{}], object)})),
        "model.0.bias.npy: .npy dtype '|O' is not read here",
    ),
    "stray key": (
        lambda p: _rewrite(p, lambda e: e.update({"stray": np.zeros(1)})),
        "unexpected entry 'stray.npy'",
    ),
    "extra layer": (
        lambda p: _rewrite(p, lambda e: e.update({"model.9.weight": np.zeros(3, np.float32)})),
        "model.9.weight: is not in the model the metadata describes",
    ),
    "missing key": (
        lambda p: _rewrite(p, lambda e: e.pop("model.2.bias")),
        "model.2.bias: is missing",
    ),
    "shape": (
        lambda p: _rewrite(p, lambda e: e.update({"model.0.weight": np.zeros((3, 2), np.float32)})),
        "model.0.weight: has shape (3, 2)",
    ),
    "changed, not rehashed": (
        lambda p: _rewrite(p, lambda e: e["model.0.bias"].__iadd__(1), rehash=False),
        "model.0.bias.npy does not match its SHA-256",
    ),
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_bad_checkpoints_are_one_line_exit_1(capsys, trained, name):
    damage, message = DAMAGE[name]
    path = trained / "checkpoint.npz"
    damage(path)
    for argv in (
        ["train", "--epochs", 2, "--out", trained, "--resume"],
        ["eval", "--checkpoint", path],
    ):
        code, _, err = cli(capsys, *argv)
        assert code == 1, (argv, err)
        assert message in err and str(path) in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_optimizer_state_of_the_wrong_shape(capsys, trained):
    path = trained / "checkpoint.npz"
    _rewrite(path, lambda e: e.update({"optim.state.0.momentum_buffer": np.zeros(4, np.float32)}))
    code, _, err = cli(capsys, "train", "--epochs", 2, "--out", trained, "--resume")
    assert code == 1 and "optim.state.0.momentum_buffer: has shape (4,)" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--val-fraction", "1"], "argument --val-fraction: must be < 1, got 1"),
        (["--val-fraction", "-0.1"], "argument --val-fraction: must be >= 0, got -0.1"),
        (
            ["--optimizer", "adam", "--momentum", "0.5"],
            "--momentum applies to --optimizer sgd only",
        ),
        (["--resume"], "--resume needs --out"),
        (["--epochs", "-1"], "argument --epochs: must be >= 0, got -1"),
        (["--batch-size", "0"], "argument --batch-size: must be >= 1, got 0"),
        (["--lr", "0"], "argument --lr: must be > 0, got 0"),
        (["--hidden", "0"], "argument --hidden: must be >= 1, got 0"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    code, _, err = cli(capsys, "train", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_unknown_dataset_lists_the_choices(capsys):
    assert main(["train", "--dataset", "cifar"]) == 2
    assert "fashion-mnist" in capsys.readouterr().err


def test_missing_data_dir_is_named(capsys, tmp_path):
    code, _, err = cli(
        capsys, "train", "--data-dir", tmp_path / "nowhere", "--out", tmp_path / "run"
    )
    assert code == 2 and str(tmp_path / "nowhere") in err


def test_resume_errors(capsys, trained, tmp_path):
    code, _, err = cli(capsys, "train", "--out", tmp_path / "empty", "--resume")
    assert code == 2 and "no checkpoint at" in err
    code, _, err = cli(capsys, "train", *MOONS, "--out", trained)  # a run is there already
    assert code == 2 and "already holds a run" in err
    code, _, err = cli(capsys, "train", "--lr", "0.5", "--out", trained, "--resume")
    assert code == 2 and "lr was 0.1" in err and "0.5" in err


def test_nan_loss_stops_with_a_clear_message(capsys, tmp_path):
    code, _, err = cli(capsys, "train", *MOONS, "--lr", "1e6", "--out", tmp_path)
    assert code == 1
    assert (
        "loss became nan at epoch 1, step" in err
        and "--detect-anomaly" in err
        and "RuntimeWarning" not in err
    )


def test_nan_never_overwrites_the_last_good_checkpoint(capsys, tmp_path, monkeypatch):
    calls = {"n": 0}
    original = nn.CrossEntropyLoss.forward

    def forward(self, input, target):  # the loss turns NaN on the 20th step: epoch 2, step 5
        calls["n"] += 1
        loss = original(self, input, target)
        return loss * float("nan") if calls["n"] >= 20 else loss

    monkeypatch.setattr(nn.CrossEntropyLoss, "forward", forward)
    code, _, err = cli(capsys, "train", *MOONS, "--epochs", 3, "--out", tmp_path)
    assert code == 1 and "loss became nan at epoch 2, step 5" in err
    data, meta = arrays(tmp_path / "checkpoint.npz")
    assert meta["epoch"] == 1 and all(np.isfinite(a).all() for a in data.values())


@pytest.mark.skipif(
    not hasattr(chainrule.autograd, "detect_anomaly"), reason="the core has no detect_anomaly yet"
)
def test_detect_anomaly_names_the_op(capsys, tmp_path):
    code, _, err = cli(
        capsys, "train", *MOONS, "--lr", "1e6", "--out", tmp_path, "--detect-anomaly"
    )
    assert code == 1
    # e.g. "anomaly at epoch 1, step 3: linear: the forward pass produced inf at index (0, 0) ..."
    assert re.search(r"anomaly at epoch 1, step \d+: \w+: ", err) and (
        "produced" in err or "backward" in err
    )
    assert len(err.strip().splitlines()) == 1


def test_broken_data_files_exit_1(capsys, tmp_path):
    for split in ("train", "t10k"):
        (tmp_path / f"{split}-images-idx3-ubyte").write_bytes(b"junk")
        (tmp_path / f"{split}-labels-idx1-ubyte").write_bytes(b"junk")
    code, _, err = cli(capsys, "train", "--data-dir", tmp_path, "--out", tmp_path / "run")
    assert code == 1 and "cannot read the data" in err and "train-images-idx3-ubyte" in err

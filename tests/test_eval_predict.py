"""``chainrule eval`` and ``chainrule predict``: test metrics, confusion matrix, the user's own images."""

from __future__ import annotations

import doctest
import json
import re

import numpy as np
import pytest
from PIL import Image

from chainrule import no_grad, tensor
from chainrule.cli import main
from chainrule.data import load_mnist_sample
from chainrule.nn import functional as F
from chainrule.training import predict as predict_module
from chainrule.training.metrics import confusion_matrix, format_confusion
from chainrule.training.models import load_model
from chainrule.training.predict import read_grayscale, to_mnist_frame
from chainrule.viz import plots as plots_module

PNG = b"\x89PNG\r\n\x1a\n"


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """A 784-256-256-10 model trained for 3 epochs on the embedded sample (~1 s), shared by the tests."""
    out = tmp_path_factory.mktemp("mnist_run")
    assert main(["train", "--epochs", "3", "--out", str(out), "--data-dir", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("moons_run")
    assert (
        main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "1", "--out", str(out)])
        == 0
    )
    return out


@pytest.mark.parametrize("module", [predict_module, plots_module])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_eval_prints_accuracy_and_draws_the_confusion_matrix(capsys, mnist_run, tmp_path):
    code, out, err = cli(
        capsys, "eval", "--checkpoint", mnist_run / "checkpoint.npz", "--out", tmp_path
    )
    assert code == 0, err
    assert re.search(r"test: loss \d\.\d{4}, accuracy 0\.(8|9)\d{3}", out)
    assert "true \\ pred" in out
    table = [line for line in out.splitlines() if line[:1].isdigit() and len(line.split()) == 11]
    assert len(table) == 10 and sum(int(v) for line in table for v in line.split()[1:]) == 1000
    assert (tmp_path / "confusion.png").read_bytes()[:8] == PNG


def test_eval_matches_the_training_summary(capsys, mnist_run):
    summary = json.loads((mnist_run / "summary.json").read_text())
    code, out, _ = cli(capsys, "eval", "--checkpoint", mnist_run / "checkpoint.npz")
    assert code == 0 and f"accuracy {summary['test_accuracy']:.4f}" in out
    assert (mnist_run / "confusion.png").exists()  # default: next to the checkpoint


def test_eval_rejects_a_dataset_of_another_shape(capsys, moons_run):
    code, _, err = cli(
        capsys, "eval", "--checkpoint", moons_run / "checkpoint.npz", "--dataset", "mnist"
    )
    assert code == 2 and "takes 2 inputs" in err


def test_eval_missing_checkpoint(capsys, tmp_path):
    code, _, err = cli(capsys, "eval", "--checkpoint", tmp_path / "none.npz")
    assert code == 1 and "none.npz" in err


def _confident_digits(mnist_run, n=4):
    """Test images the model gets right with probability > 0.9 on their original 28×28 form."""
    loaded = load_model(mnist_run / "checkpoint.npz")
    _, _, x_test, y_test = load_mnist_sample()

    x = ((x_test.reshape(-1, 784) / 255.0 - loaded.mean[0]) / loaded.std[0]).astype(np.float32)
    with no_grad():
        probs = F.softmax(loaded.model(tensor(x)), dim=1).numpy()
    good = np.flatnonzero((probs.argmax(1) == y_test) & (probs.max(1) > 0.9))
    picks = []
    for digit in (0, 3, 7, 9):  # different classes
        picks.append(next(i for i in good if y_test[i] == digit))
    return x_test[picks[:n]], y_test[picks[:n]]


def test_predict_own_images_both_polarities(capsys, mnist_run, tmp_path):
    images, labels = _confident_digits(mnist_run)
    paths = []
    for k, (image, label) in enumerate(zip(images, labels)):
        big = np.kron(image, np.ones((2, 2), np.uint8))  # 56×56, white digit on black like MNIST
        Image.fromarray(big).save(tmp_path / f"white_{k}.png")
        Image.fromarray(255 - big).save(tmp_path / f"black_{k}.png")  # dark ink on white paper
        rgb = np.stack([255 - big] * 3, axis=-1)
        Image.fromarray(rgb).save(tmp_path / f"photo_{k}.jpg", quality=95)  # colour JPEG
        kinds = (("white", "png"), ("black", "png"), ("photo", "jpg"))
        paths += [(tmp_path / f"{kind}_{k}.{ext}", label) for kind, ext in kinds]
    code, out, err = cli(
        capsys, "predict", "--checkpoint", mnist_run / "checkpoint.npz", *[p for p, _ in paths]
    )
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(paths)
    for line, (path, label) in zip(lines, paths):
        assert line.startswith(f"{path}: {label} ("), line
        assert line.count("(") == 3  # the top 3 with probabilities


def test_predict_unreadable_file_is_named(capsys, mnist_run, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not a picture")
    code, _, err = cli(capsys, "predict", "--checkpoint", mnist_run / "checkpoint.npz", bad)
    assert (
        code == 1
        and str(bad) in err
        and "not a readable image" in err
        and len(err.strip().splitlines()) == 1
    )
    code, _, err = cli(
        capsys, "predict", "--checkpoint", mnist_run / "checkpoint.npz", tmp_path / "missing.png"
    )
    assert code == 1 and f"{tmp_path / 'missing.png'}: no such file" in err


def test_predict_too_small_image(capsys, mnist_run, tmp_path):
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "tiny.png")
    code, _, err = cli(
        capsys, "predict", "--checkpoint", mnist_run / "checkpoint.npz", tmp_path / "tiny.png"
    )
    assert code == 1 and "need at least 28×28" in err


def test_predict_with_a_2d_model_is_a_usage_error(capsys, moons_run, tmp_path):
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "x.png")
    code, _, err = cli(
        capsys, "predict", "--checkpoint", moons_run / "checkpoint.npz", tmp_path / "x.png"
    )
    assert code == 2 and "not 28×28 images" in err


def test_transparent_drawing_counts_as_white_paper(tmp_path):
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[8:32, 18:22] = (0, 0, 0, 255)  # black opaque stroke, the rest fully transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "drawing.png")
    gray = read_grayscale(tmp_path / "drawing.png")
    assert gray[0, 0] == 1.0 and gray[20, 20] == 0.0
    frame = to_mnist_frame(gray)
    assert frame[0, 0] == 0.0 and frame[14, 13:15].max() > 0.9  # bright stroke through the centre


def test_frame_keeps_the_aspect_ratio_and_centres_the_mass():
    canvas = np.zeros((100, 100), np.float32)
    canvas[5:45, 70:80] = 1.0  # a 40×10 bar in a corner
    frame = to_mnist_frame(canvas)
    rows, cols = np.nonzero(frame > 0.5)
    assert rows.max() - rows.min() + 1 == 20  # the long side fills MNIST's 20-pixel box
    assert 4 <= cols.max() - cols.min() + 1 <= 6  # the short side keeps the 4:1 aspect
    cy = (frame.sum(1) * np.arange(28)).sum() / frame.sum()
    cx = (frame.sum(0) * np.arange(28)).sum() / frame.sum()
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_blank_image_gives_a_blank_frame():
    assert not to_mnist_frame(np.full((30, 30), 0.7, np.float32)).any()


def test_confusion_matrix_and_table():
    m = confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]), 3)
    assert m.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    table = format_confusion(m, ("T-shirt", "Trouser", "Bag"))
    assert table.splitlines()[1].split() == ["0", "T-shirt", "1", "0", "0"]

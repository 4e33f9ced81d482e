"""Hostile and damaged images for ``chainrule predict``, by family: each is refused in one line naming
the file before its pixel claim costs memory, no Pillow warning escapes, or it reads as a
grayscale array in [0, 1].

* PNG headers claiming any size (hypothesis), up to 2³¹ − 1 on a side;
* a 68-byte PNG claiming 30000×30000 (Pillow's DecompressionBombError) and 12000×9000 (its warning),
  under ``RLIMIT_AS`` = 1 GiB;
* truncation at every byte and random byte edits of a small real PNG;
* formats ``predict`` does not read, a directory, a blank image;
* ``chainrule predict`` on each: exit 1, one stderr line, no traceback, the file named.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from chainrule.cli import main
from chainrule.training.loop import TrainConfig, train
from chainrule.training.predict import MAX_PIXELS, ImageError, read_grayscale

COUNTS: dict[str, int] = {}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` 1-bit pixels (its data is far shorter)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 10)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _digit_png() -> bytes:
    gray = np.full((40, 30), 255, np.uint8)
    gray[8:32, 12:18] = 0  # a dark "1" on white paper
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, format="PNG")
    return buf.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _read(path: Path):
    """``read_grayscale(path)`` with every warning recorded: none may escape."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return read_grayscale(path), None
        except ImageError as e:
            message = str(e)
            assert message.startswith(str(path)) and "\n" not in message and len(message) < 300
            return None, message
        finally:
            assert caught == [], [str(w.message) for w in caught]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(width=st.integers(1, 2**31 - 1), height=st.integers(1, 2**31 - 1))
def test_any_claimed_size_is_refused_in_one_line_without_a_warning(tmp_path, width, height):
    path = tmp_path / "claim.png"
    path.write_bytes(png_claiming(width, height))
    gray, message = _read(path)
    if gray is not None:  # small enough: Pillow decodes it, missing rows as black (its choice)
        assert gray.shape == (height, width) and width * height <= MAX_PIXELS
        assert 0.0 <= gray.min() <= gray.max() <= 1.0
    if width * height > MAX_PIXELS:
        assert "pixels" in message and ("more than" in message)


@pytest.mark.parametrize(
    "width, height, message",
    [
        (30000, 30000, "claims more than 178,956,970 pixels; refused before decoding"),
        (12000, 9000, "12000×9000 pixels, more than the 50,000,000 read"),
    ],
)
def test_bombs_are_refused_in_bounded_memory(tmp_path, width, height, message):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(width, height))
    limit = 2**30
    code = (
        "import resource, numpy as np\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "import warnings; warnings.simplefilter('error')\n"  # a leaked warning fails the run
        "from chainrule.training.predict import read_grayscale, ImageError\n"
        "try:\n"
        f"    np.ones({width * height}, np.uint8); print('unbounded')\n"
        "except MemoryError:\n"
        "    print('limit holds')\n"
        "try:\n"
        f"    read_grayscale({str(path)!r}); print('ACCEPTED')\n"
        "except ImageError as e:\n"
        "    print(e)\n"
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH", "")]
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == ("limit holds" if width * height > 2**30 else "unbounded")
    assert message in lines[1] and str(path) in lines[1] and len(lines) == 2
    assert path.stat().st_size < 100


def test_truncation_at_every_byte_is_refused(tmp_path):
    data, path = _digit_png(), tmp_path / "cut.png"
    full, _ = _read(_write(path, data))
    for cut in range(len(data)):
        gray, message = _read(_write(path, data[:cut]))
        # Refused, or (cut past the compressed pixels, in a CRC or IEND) exactly the full image.
        assert message if gray is None else np.array_equal(gray, full)
    COUNTS["truncations"] = len(data)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=3)
)
def test_random_byte_edits_are_refused_or_read_as_grayscale(tmp_path, edits):
    data = bytearray(_digit_png())
    for position, value in edits:
        data[position % len(data)] = value
    path = tmp_path / "edited.png"
    path.write_bytes(bytes(data))
    gray, message = _read(path)
    if gray is not None:  # an edit Pillow cannot see (an ancillary byte): still a real image
        assert (
            gray.dtype == np.float32 and gray.ndim == 2 and 0.0 <= gray.min() <= gray.max() <= 1.0
        )


@pytest.mark.parametrize("fmt", ["TIFF", "ICO", "PPM", "PDF"])
def test_formats_predict_does_not_read_are_refused(tmp_path, fmt):
    path = tmp_path / f"digit.{fmt.lower()}"
    Image.fromarray(np.zeros((32, 32), np.uint8)).convert("RGB").save(path, format=fmt)
    gray, message = _read(path)
    assert gray is None and "read: PNG, JPEG, BMP, GIF, WEBP" in message


def test_a_directory_is_named(tmp_path):
    assert "is a directory" in _read(tmp_path)[1]


# ---- the CLI ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("mnist")
    config = TrainConfig(dataset="mnist", hidden=(8,), epochs=1, batch_size=256)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the embedded sample's fallback note
        train(config, out, log=lambda line: None, progress=False)
    return out / "checkpoint.npz"


def _blank() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buf, format="PNG")
    return buf.getvalue()


IMAGES = {
    "30000x30000": (lambda: png_claiming(30000, 30000), "refused before decoding"),
    "12000x9000": (lambda: png_claiming(12000, 9000), "more than the 50,000,000 read"),
    "truncated": (lambda: _digit_png()[:60], "not a readable image"),
    "text": (lambda: b"not an image", "not a readable image"),
    "blank": (_blank, "the image is blank"),
}


@pytest.mark.parametrize("name", list(IMAGES))
def test_predict_on_a_bad_image_is_one_line_exit_1(capsys, tmp_path, mnist_checkpoint, name):
    make, message = IMAGES[name]
    path = tmp_path / f"{name}.png"
    path.write_bytes(make())
    before = path.read_bytes()
    code = main(["predict", "--checkpoint", str(mnist_checkpoint), str(path)])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert message in err and str(path) in err
    assert path.read_bytes() == before


def test_predict_still_reads_a_good_image(capsys, tmp_path, mnist_checkpoint):
    path = tmp_path / "one.png"
    path.write_bytes(_digit_png())
    assert main(["predict", "--checkpoint", str(mnist_checkpoint), str(path)]) == 0
    assert str(path) in capsys.readouterr().out


def test_case_counts(capsys):
    """Reported with ``-s``: the cases each family above generated (when they ran in this session)."""
    with capsys.disabled():
        for family, n in COUNTS.items():
            print(f"\n  {family}: {n}", end="")

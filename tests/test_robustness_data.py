"""Hostile and damaged IDX files, by family: each is refused in one line naming the file, before its
claim costs anything, or (where an edit cannot change anything) reads exactly what was written.

* every byte of the header of a raw and of a gzipped image file set to each of its 255 other values;
* truncation at every byte, raw and gzipped;
* shapes claimed at random (hypothesis) against a few bytes of data;
* a 2.4 MB gzip whose header claims (1, 50000, 50000), read under ``RLIMIT_AS`` = 1 GiB;
* a data set of 0 images, a directory, and ``chainrule train --data-dir`` on broken files.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.cli import main
from chainrule.data import IDXError, load_mnist, read_idx, write_idx
from chainrule.data.idx import MAX_BYTES
from chainrule.data.mnist import IDX_FILES

IMAGES = (None, 28, 28)
COUNTS: dict[str, int] = {}


def _images(n=2):
    return (np.arange(n * 28 * 28) % 251).astype(np.uint8).reshape(n, 28, 28)


def _read_or_refuse(path: Path, original: np.ndarray) -> bool:
    """True if refused in one line naming ``path``; otherwise the array must be ``original``."""
    try:
        out = read_idx(path, shape=IMAGES, dtype=np.uint8)
    except IDXError as e:
        message = str(e)
        assert message.startswith(str(path)) and "\n" not in message and len(message) < 400
        return True
    assert out.dtype == original.dtype and np.array_equal(out, original)
    return False


@pytest.mark.parametrize("gz", [False, True])
def test_every_value_of_every_header_byte(tmp_path, gz):
    source = tmp_path / ("good.gz" if gz else "good")
    write_idx(source, _images(), compress=gz)
    original = read_idx(source)
    raw = gzip.decompress(source.read_bytes()) if gz else source.read_bytes()
    path = tmp_path / "edited"
    cases = refusals = 0
    for position in range(16):  # magic (4) + three dimensions (12)
        for value in range(256):
            if value == raw[position]:
                continue
            edited = bytearray(raw)
            edited[position] = value
            path.write_bytes(gzip.compress(bytes(edited), mtime=0) if gz else bytes(edited))
            refusals += _read_or_refuse(path, original)
            cases += 1
    COUNTS[f"header byte values ({'gzip' if gz else 'raw'})"] = cases
    assert cases == 16 * 255 and refusals == cases  # every header byte matters


@pytest.mark.parametrize("gz", [False, True])
def test_truncation_at_every_byte(tmp_path, gz):
    source = tmp_path / "good"
    write_idx(source, _images(1), compress=gz)
    data, path = source.read_bytes(), tmp_path / "cut"
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        with pytest.raises(IDXError) as info:
            read_idx(path, shape=IMAGES)
        assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)
    COUNTS[f"truncations ({'gzip' if gz else 'raw'})"] = len(data)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dims=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4),
    code=st.sampled_from([0x08, 0x0B, 0x0D, 0x0E]),
    data=st.binary(max_size=64),
    gz=st.booleans(),
)
def test_any_claimed_shape_is_checked_before_reading(tmp_path, dims, code, data, gz):
    header = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    path = tmp_path / "claim"
    path.write_bytes(gzip.compress(header + data) if gz else header + data)
    itemsize = {0x08: 1, 0x0B: 2, 0x0D: 4, 0x0E: 8}[code]
    try:
        out = read_idx(path)
    except IDXError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)
        claimed = int(np.prod(dims, dtype=object)) * itemsize
        describable = int(np.prod([d for d in dims if d], dtype=object)) * itemsize <= MAX_BYTES
        assert claimed != len(data) or not describable
        return
    assert out.shape == tuple(dims) and out.nbytes == len(data)


def _gzip_claiming(path: Path, shape: tuple[int, ...], size: int) -> None:
    """A gzip of an IDX header claiming ``shape`` plus ``size`` zero bytes, made in little time:
    a full-flushed deflate block of zeros is the same bytes each time, so it is repeated."""
    header = bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    block = b"\0" * (1 << 22)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(header) + comp.flush(zlib.Z_FULL_FLUSH)
    piece = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    body = first + piece * (size // len(block)) + comp.flush()
    total = len(header) + (size // len(block)) * len(block)
    crc = 0  # not computed (2.5 GB of work): the reader must refuse before it would look
    trailer = struct.pack("<II", crc, total % 2**32)
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + trailer)


def test_a_small_gzip_claiming_gigabytes_is_refused_in_bounded_memory_and_time(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    _gzip_claiming(path, (1, 50000, 50000), 2_500_000_000)
    assert path.stat().st_size < 3_000_000
    limit = 2**30
    code = (
        "import resource, time, numpy as np\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "from chainrule.data import IDXError, read_idx\n"
        "try:\n"
        "    np.ones(2_500_000_000, np.uint8); print('unbounded')\n"
        "except MemoryError:\n"
        "    print('limit holds')\n"
        "for shape in [(None, 28, 28), None]:\n"
        "    t = time.perf_counter()\n"
        "    try:\n"
        f"        read_idx({str(path)!r}, shape=shape); print('ACCEPTED')\n"
        "    except IDXError as e:\n"
        "        print(f'{time.perf_counter() - t:.3f}', e)\n"
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
    assert lines[0] == "limit holds" and len(lines) == 3
    shape_line, size_line = lines[1], lines[2]
    assert "header says shape (1, 50000, 50000); expected shape (N, 28, 28)" in shape_line
    assert "(max_bytes)" in size_line
    assert all(float(line.split()[0]) < 1.0 for line in lines[1:])  # nothing was decompressed


def test_a_lying_gzip_trailer_ends_in_truncated_not_in_memory(tmp_path):
    path = tmp_path / "liar.gz"
    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 300_000, 28, 28)  # 235 MB claimed
    blob = bytearray(gzip.compress(header + b"\0" * 100))
    blob[-4:] = struct.pack("<I", 16 + 300_000 * 784)  # the trailer agrees with the lie
    path.write_bytes(bytes(blob))
    t = time.perf_counter()
    with pytest.raises(IDXError, match="gzip data is truncated or corrupt|truncated"):
        read_idx(path, shape=IMAGES)
    assert time.perf_counter() - t < 2.0


def _mnist_dir(folder: Path, n_train=3, n_test=2) -> Path:
    folder.mkdir(exist_ok=True)
    for key, name in IDX_FILES.items():
        n = n_train if "train" in name else n_test
        array = _images(n) if key.startswith("x") else np.arange(n, dtype=np.uint8) % 10
        write_idx(folder / f"{name}.gz", array)
    return folder


def test_a_data_set_of_zero_images_is_refused(tmp_path):
    folder = _mnist_dir(tmp_path / "data", n_train=0)
    with pytest.raises(IDXError, match="holds 0 images"):
        load_mnist(root=folder)


def test_a_directory_in_place_of_a_file_is_named(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(IDXError, match="is a directory"):
        read_idx(tmp_path / "x")


BROKEN = {
    "0 images": lambda d: write_idx(
        d / "train-images-idx3-ubyte.gz", np.zeros((0, 28, 28), np.uint8)
    ),
    "huge claim": lambda d: _gzip_claiming(
        d / "train-images-idx3-ubyte.gz", (1, 50000, 50000), 2**24
    ),
    "32x32": lambda d: write_idx(d / "t10k-images-idx3-ubyte.gz", np.zeros((2, 32, 32), np.uint8)),
    "truncated": lambda d: (d / "t10k-labels-idx1-ubyte.gz").write_bytes(
        (d / "t10k-labels-idx1-ubyte.gz").read_bytes()[:20]
    ),
}


@pytest.mark.parametrize("damage", list(BROKEN))
def test_train_on_broken_data_is_one_line_exit_1(capsys, tmp_path, damage):
    folder = _mnist_dir(tmp_path / "data")
    BROKEN[damage](folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code = main(
        ["train", "--data-dir", str(folder), "--out", str(tmp_path / "run"), "--epochs", "1"]
    )
    _, err = capsys.readouterr()
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert str(folder) in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_case_counts(capsys):
    """Reported with ``-s``: the cases each family above generated (when they ran in this session)."""
    with capsys.disabled():
        for family, n in COUNTS.items():
            print(f"\n  {family}: {n}", end="")


def test_an_empty_shape_whose_other_sizes_cannot_be_described_is_one_line(tmp_path):
    # Found by the hypothesis test above: 0 elements, but NumPy's "array is too big".
    path = tmp_path / "empty"
    path.write_bytes(bytes([0, 0, 0x0E, 4]) + struct.pack(">4I", 0, 88305, 732966, 17812736))
    with pytest.raises(IDXError, match="no data, but sizes too large"):
        read_idx(path)

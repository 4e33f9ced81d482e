"""chainrule.data.idx: the IDX reader and writer on real Fashion-MNIST and on made-up good and bad files."""

from __future__ import annotations

import doctest
import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule.data.idx as idx_module
from chainrule.data import IDXError, read_idx, write_idx

FASHION = Path("/usr/share/datasets/fashion-mnist")


def _header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def _write(path: Path, payload: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def test_doctests():
    assert doctest.testmod(idx_module).failed == 0


# ---- real data -------------------------------------------------------------------------------


@pytest.mark.skipif(
    not FASHION.is_dir(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist_files():
    x_train = read_idx(FASHION / "train-images-idx3-ubyte.gz")
    y_train = read_idx(FASHION / "train-labels-idx1-ubyte.gz")
    x_test = read_idx(FASHION / "t10k-images-idx3-ubyte.gz")
    y_test = read_idx(FASHION / "t10k-labels-idx1-ubyte.gz")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert y_train.min() == 0 and y_train.max() == 9
    # Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert x_train.flags.writeable


# ---- round trip --------------------------------------------------------------------------------

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@settings(max_examples=60, deadline=None)
@given(
    array=st.sampled_from(IDX_DTYPES).flatmap(
        lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    ),
    compress=st.booleans(),
)
def test_write_then_read_round_trips(array, compress):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a-idx"
        write_idx(path, array, compress=compress)
        back = read_idx(path)
        assert back.dtype == array.dtype and back.dtype.isnative
        assert back.shape == array.shape
        np.testing.assert_array_equal(back, array)  # NaNs compare equal here
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["a-idx"]  # no temp file left


def test_bytes_on_disk_are_big_endian_with_the_documented_header(tmp_path):
    path = tmp_path / "f-idx2-float"
    write_idx(path, np.array([[1.0, -2.0]], np.float32))
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0D, 2])
    assert struct.unpack(">II", raw[4:12]) == (1, 2)
    assert struct.unpack(">ff", raw[12:]) == (1.0, -2.0)


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    array = np.arange(12, dtype=np.int16).reshape(3, 4)
    path = tmp_path / "no-suffix"
    write_idx(path, array, compress=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(path), array)


def test_gz_suffix_compresses_by_default_and_output_is_reproducible(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "b.gz", array)
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a.gz").read_bytes() == (
        tmp_path / "b.gz"
    ).read_bytes()  # no timestamp inside


def test_zero_size_dimensions_read_as_empty_arrays(tmp_path):
    path = _write(tmp_path / "empty-idx3", _header(0x08, (0, 28, 28)))
    out = read_idx(path)
    assert out.shape == (0, 28, 28) and out.dtype == np.uint8


# ---- malformed files: each error names the file and the problem ----------------------------------


def _error(path: Path) -> str:
    with pytest.raises(IDXError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_bad_magic(tmp_path):
    path = _write(tmp_path / "bad-magic", b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00")
    assert "bad magic number 0x01000801" in _error(path)


def test_bad_dtype_code(tmp_path):
    path = _write(tmp_path / "bad-code", _header(0x0A, (1,)) + b"\x00")
    assert "unknown IDX data type code 0x0A" in _error(path)


@pytest.mark.parametrize("ndim", [0, 5])
def test_bad_number_of_dimensions(tmp_path, ndim):
    path = _write(tmp_path / "bad-ndim", bytes([0, 0, 0x08, ndim]) + b"\x00" * 4 * ndim + b"\x00")
    assert f"header says {ndim} dimensions; expected 1 to 4" in _error(path)


def test_empty_file(tmp_path):
    assert "too short for an IDX header" in _error(_write(tmp_path / "empty", b""))


def test_truncated_dimension_sizes(tmp_path):
    path = _write(tmp_path / "short-dims", bytes([0, 0, 0x08, 3]) + struct.pack(">I", 60000))
    assert "truncated header: 3 dimensions need 12 bytes of sizes, file has 4" in _error(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data(tmp_path, gz):
    path = _write(
        tmp_path / "train-images-idx3-ubyte", _header(0x08, (60000, 28, 28)) + b"\x07" * 1000, gz=gz
    )
    message = _error(path)
    assert "truncated: header says 47040000 bytes of data" in message
    assert message.endswith("has 1000" + (" by its gzip trailer" if gz else ""))


def test_truncated_data_counts_bytes_not_items(tmp_path):
    path = _write(tmp_path / "short-doubles", _header(0x0E, (3,)) + b"\x00" * 20)  # 24 needed
    assert "header says 24 bytes of data (shape (3,)), file has 20" in _error(path)


@pytest.mark.parametrize("gz", [False, True])
def test_trailing_bytes(tmp_path, gz):
    path = _write(tmp_path / "labels", _header(0x08, (3,)) + b"\x01\x02\x03" + b"xyz!", gz=gz)
    assert "has 4 trailing bytes after the 3 bytes of data" in _error(path)


def test_zero_size_dims_with_data_is_trailing(tmp_path):
    path = _write(tmp_path / "zero", _header(0x08, (0, 28)) + b"\x00" * 5)
    assert "has 5 trailing bytes" in _error(path)


def test_absurd_header_is_refused_before_reading_not_memory_error(tmp_path):
    # 2^32-1 in each of 4 dims: far more bytes than exist anywhere; must fail fast and cleanly.
    path = _write(tmp_path / "huge", _header(0x0E, (2**32 - 1,) * 4) + b"\x00" * 16)
    assert "more than the 1073741824 read (max_bytes)" in _error(path)
    assert "truncated" in str(pytest.raises(IDXError, read_idx, path, max_bytes=2**300).value)


def test_cut_off_gzip_stream(tmp_path):
    blob = gzip.compress(_header(0x08, (100,)) + bytes(range(100)))
    path = _write(tmp_path / "cut.gz", blob[: len(blob) // 2])
    assert "gzip data is truncated or corrupt" in _error(path)


def test_write_rejects_types_idx_cannot_store(tmp_path):
    with pytest.raises(IDXError, match=r"cannot store dtype int64.*astype"):
        write_idx(tmp_path / "x", np.arange(3))
    with pytest.raises(IDXError, match=r"1 to 4 dimensions, got shape \(\)"):
        write_idx(tmp_path / "x", np.float32(1.0))
    assert not (tmp_path / "x").exists()


def test_failed_write_leaves_existing_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "keep"
    write_idx(path, np.arange(4, dtype=np.uint8))
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(idx_module.gzip, "GzipFile", boom)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.arange(8, dtype=np.uint8), compress=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]

"""Read and write IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension, then the array's
bytes in C order, big-endian::

    00 00 <dtype code> <ndim> | dim_0 ... dim_{ndim-1} (uint32 each) | data

The files often come gzipped (``*.gz``); :func:`read_idx` looks at the first two bytes
(``1f 8b`` is gzip) rather than at the name, so a renamed file still reads.

>>> import tempfile, pathlib, numpy as np
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x-idx2-ubyte.gz"
>>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
>>> read_idx(path)
array([[0, 1, 2],
       [3, 4, 5]], dtype=uint8)
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from chainrule._io import atomic_path

__all__ = ["IDXError", "read_idx", "write_idx", "IDX_DTYPES"]

# The type byte of the magic number -> the element type (big-endian on disk).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),  # unsigned byte: MNIST's pixels and labels
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}

# The format allows up to 255 dimensions, but real IDX files have 1 (labels) to 3 (images)
# or 4 (colour images). A larger count almost always means the file is not IDX at all.
MAX_NDIM = 4
#: The most data bytes ``read_idx`` reads unless told otherwise (Fashion-MNIST's largest is 47 MB).
MAX_BYTES = 2**30
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


class IDXError(ValueError):
    """An IDX file is malformed; the message names the file and what is wrong with it."""


def read_idx(
    path: str | os.PathLike[str],
    *,
    shape: tuple[int | None, ...] | None = None,
    dtype: type | np.dtype | None = None,
    max_bytes: int = MAX_BYTES,
) -> np.ndarray:
    """Read an IDX file (raw or gzipped) into a NumPy array in native byte order.

    The header must be ``00 00 <code> <ndim>`` with a known type code and 1 to 4 dims, and the
    file must hold exactly ``prod(dims) * itemsize`` bytes after it: not fewer (truncated),
    not more (trailing bytes). Dimensions of size 0 are allowed and give an empty array.

    Everything the header claims is checked before the data is read: against ``shape`` (the
    dims expected, ``None`` for any size, e.g. ``(None, 28, 28)``), ``dtype`` (the element type
    expected, e.g. ``np.uint8``: a changed type byte is not a silent change), ``max_bytes``, and the
    file's size (for gzip, the uncompressed size its trailer records), so a damaged or hostile
    header costs nothing, however large its claim.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> _ = p.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(p)
    array([7, 2, 1], dtype=uint8)
    >>> read_idx(p, shape=(None, 28, 28))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    chainrule.data.idx.IDXError: .../labels-idx1-ubyte: header says shape (3,); expected shape (N, 28, 28)
    """
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            size = os.fstat(raw.fileno()).st_size
            unpacked = _gzip_size(raw, size) if gzipped else size
    except IsADirectoryError:
        raise IDXError(f"{path}: is a directory, not an IDX file") from None
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as f:
            return _read_stream(
                f,
                path,
                gzipped,
                _Limits(
                    shape, None if dtype is None else np.dtype(dtype), max_bytes, unpacked, gzipped
                ),
            )
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        # Raised mid-read by gzip: a cut-off download or a damaged archive.
        raise IDXError(f"{path}: gzip data is truncated or corrupt ({e})") from None


@dataclass(frozen=True)
class _Limits:
    shape: tuple[int | None, ...] | None  # the dims expected (None: any)
    dtype: np.dtype | None  # the element type expected (None: any)
    max_bytes: int
    unpacked: int | None  # the bytes the file holds (uncompressed); None if unknown
    gzipped: bool


def _gzip_size(raw: BinaryIO, size: int) -> int | None:
    """The uncompressed size a gzip file's trailer records (ISIZE: the size mod 2³²).

    Exact for a one-member file under 4 GiB, which every IDX download is; used to refuse a
    header's claim before decompressing, and ``None`` (no check) where it cannot be trusted.
    """
    if size < 18 or size >= 2**32:
        return None
    raw.seek(size - 4)
    return int.from_bytes(raw.read(4), "little")


def _shape_text(shape: tuple[int | None, ...]) -> str:
    dims = ", ".join("N" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def _read_stream(f: BinaryIO, path: Path, gzipped: bool, limits: _Limits) -> np.ndarray:
    """Parse the header, check its claim, then read exactly the number of data bytes it promises."""
    what = "decompressed file" if gzipped else "file"
    magic = f.read(4)
    if len(magic) < 4:
        raise IDXError(
            f"{path}: {what} is {len(magic)} bytes, too short for an IDX header (4-byte magic number)"
        )
    zero, code, ndim = magic[:2], magic[2], magic[3]
    if zero != b"\x00\x00":
        raise IDXError(
            f"{path}: bad magic number 0x{magic.hex()}: an IDX file starts with two zero bytes"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXError(f"{path}: unknown IDX data type code 0x{code:02X} (known: {known})")
    if not 1 <= ndim <= MAX_NDIM:
        raise IDXError(f"{path}: header says {ndim} dimensions; expected 1 to {MAX_NDIM}")
    dims_bytes = f.read(4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise IDXError(
            f"{path}: truncated header: {ndim} dimensions need {4 * ndim} bytes of sizes, file has {len(dims_bytes)}"
        )
    shape = struct.unpack(f">{ndim}I", dims_bytes)
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    _check_claim(path, shape, dtype, expected, 4 + 4 * ndim, limits)

    # Grow the buffer as data arrives instead of allocating ``expected`` bytes up front: a
    # gzip trailer can lie too, and that must end in "truncated", not MemoryError.
    buf = bytearray()
    while len(buf) < expected:
        chunk = f.read(min(_CHUNK, expected - len(buf)))
        if not chunk:
            break
        buf += chunk
    got = len(buf)
    if got < expected:
        raise IDXError(
            f"{path}: truncated: header says {expected} bytes of data (shape {shape}), {what} has {got}"
        )
    trailing = len(f.read(_CHUNK))  # one chunk says enough; a bomb's tail is not unpacked
    if trailing:
        more = "" if trailing < _CHUNK else " or more"
        raise IDXError(
            f"{path}: has {trailing}{more} trailing bytes after the {expected} bytes of data the "
            f"header declares (shape {shape})"
        )

    array = np.frombuffer(buf, dtype=dtype).reshape(shape)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))  # big-endian on disk -> native
    else:
        array = array.view(dtype.newbyteorder("="))
    return array


def _check_claim(
    path: Path,
    shape: tuple[int, ...],
    dtype: np.dtype,
    expected: int,
    header: int,
    limits: _Limits,
) -> None:
    """Refuse a header whose shape is not the one expected, or whose data cannot be in the file."""
    if limits.dtype is not None and dtype.newbyteorder("=") != limits.dtype:
        raise IDXError(
            f"{path}: header says {dtype.newbyteorder('=')} elements; expected {limits.dtype}"
        )
    want = limits.shape
    if want is not None and (
        len(shape) != len(want) or any(w is not None and w != d for w, d in zip(want, shape))
    ):
        raise IDXError(f"{path}: header says shape {shape}; expected shape {_shape_text(want)}")
    # An empty shape with absurd other sizes (0 x 88305 x 732966) holds no data, but NumPy
    # cannot even describe it: its sizes are bounded as if the zero were not there.
    nonzero = math.prod(d for d in shape if d) * dtype.itemsize
    if nonzero > limits.max_bytes and expected == 0:
        raise IDXError(
            f"{path}: header says shape {shape}: no data, but sizes too large to describe "
            f"({nonzero} bytes without the 0; at most {limits.max_bytes}, max_bytes)"
        )
    if expected > limits.max_bytes:
        raise IDXError(
            f"{path}: header says shape {shape}, {expected} bytes of data; more than the "
            f"{limits.max_bytes} read (max_bytes)"
        )
    if limits.unpacked is None or header + expected >= 2**32 > limits.unpacked:
        return  # no size known, or a gzip trailer's 32 bits cannot tell
    held = max(limits.unpacked - header, 0)
    if held < expected:
        source = " by its gzip trailer" if limits.gzipped else ""
        raise IDXError(
            f"{path}: truncated: header says {expected} bytes of data (shape {shape}), "
            f"{'decompressed file' if limits.gzipped else 'file'} has {held}{source}"
        )
    if held > expected and not limits.gzipped:  # a gzip trailer may lie; the stream will tell
        raise IDXError(
            f"{path}: has {held - expected} trailing bytes after the {expected} bytes of data the "
            f"header declares (shape {shape})"
        )


def write_idx(
    path: str | os.PathLike[str], array: np.ndarray, compress: bool | None = None
) -> None:
    """Write ``array`` as an IDX file, atomically; gzipped when ``compress`` or the name ends in ``.gz``.

    The dtype must be one IDX knows (uint8, int8, int16, int32, float32, float64) and the array
    must have 1 to 4 dimensions. Gzip output has no timestamp, so the same array always gives
    the same bytes.

    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w-idx1-double"
    >>> write_idx(p, np.array([1.5, -2.0]))
    >>> p.read_bytes()[:4].hex(), p.stat().st_size  # magic 00 00 0E 01; 4 + 4 + 2 * 8 bytes
    ('00000e01', 24)
    """
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        names = ", ".join(str(dt.newbyteorder("=")) for dt in IDX_DTYPES.values())
        raise IDXError(
            f"{path}: IDX cannot store dtype {array.dtype} (it stores {names}); cast first, e.g. array.astype(np.int32)"
        )
    if not 1 <= array.ndim <= MAX_NDIM:
        raise IDXError(
            f"{path}: IDX files here hold 1 to {MAX_NDIM} dimensions, got shape {array.shape}"
        )
    if any(d >= 2**32 for d in array.shape):
        raise IDXError(f"{path}: dimension too large for IDX's uint32 sizes: shape {array.shape}")
    header = bytes([0, 0, _CODES[native], array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    data = np.ascontiguousarray(array, dtype=native.newbyteorder(">")).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            if compress:
                with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
                    gz.write(header)
                    gz.write(data)
            else:
                f.write(header)
                f.write(data)

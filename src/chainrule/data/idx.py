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
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


class IDXError(ValueError):
    """An IDX file is malformed; the message names the file and what is wrong with it."""


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (raw or gzipped) into a NumPy array in native byte order.

    The header must be ``00 00 <code> <ndim>`` with a known type code and 1 to 4 dims, and the
    file must hold exactly ``prod(dims) * itemsize`` bytes after it: not fewer (truncated),
    not more (trailing bytes). Dimensions of size 0 are allowed and give an empty array.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> _ = p.write_bytes(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(p)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as f:
            return _read_stream(f, path, gzipped)
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        # Raised mid-read by gzip: a cut-off download or a damaged archive.
        raise IDXError(f"{path}: gzip data is truncated or corrupt ({e})") from e


def _read_stream(f: BinaryIO, path: Path, gzipped: bool) -> np.ndarray:
    """Parse the header, then read exactly the number of data bytes it promises."""
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

    # Grow the buffer as data arrives instead of allocating ``expected`` bytes up front: a
    # damaged header can claim terabytes, and that must end in "truncated", not MemoryError.
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
    trailing = 0
    while chunk := f.read(_CHUNK):
        trailing += len(chunk)
    if trailing:
        raise IDXError(
            f"{path}: has {trailing} trailing bytes after the {expected} bytes of data the "
            f"header declares (shape {shape})"
        )

    array = np.frombuffer(buf, dtype=dtype).reshape(shape)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))  # big-endian on disk -> native
    else:
        array = array.view(dtype.newbyteorder("="))
    return array


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

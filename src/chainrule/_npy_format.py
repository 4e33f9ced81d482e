"""Reading a ``.npy`` array from bytes without trusting them: our own small, bounded header parser.

A ``.npy`` file is a 6-byte magic string, a version, the header's length, a header that is a
Python dict literal, then the array's bytes::

    \\x93NUMPY 01 00 | len (uint16 LE; uint32 from version 2) | {'descr': '<f4', 'fortran_order':
    False, 'shape': (2, 3), } + spaces + \\n | 2 * 3 * 4 bytes of data

NumPy parses that header with Python's tokenizer and ``ast.literal_eval``, so a damaged byte can
surface as ``tokenize.TokenError`` or ``SyntaxError``. Here one regular expression reads it
instead: the length is bounded, the dtype must be on a short list (no objects, so no pickle; no
datetimes), every size is ASCII digits, and the data must be exactly ``prod(shape) * itemsize``
bytes, all checked before the array is made. Any other header is refused with one line.

>>> import io, numpy as np
>>> buf = io.BytesIO(); np.save(buf, np.arange(6, dtype=np.float32).reshape(2, 3))
>>> read_npy(buf.getvalue(), "a.npy")
array([[0., 1., 2.],
       [3., 4., 5.]], dtype=float32)
>>> read_npy(b"\\x93NUMPY\\x01\\x00" + b"\\x0f\\x00{'descr': '|O'}", "b.npy")
Traceback (most recent call last):
chainrule._npy_format.NpyFormatError: b.npy: .npy header is not the dict NumPy writes: "{'descr': '|O'}"
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["NpyFormatError", "NpyHeader", "parse_npy_header", "read_npy", "DTYPES", "MAX_HEADER"]

MAGIC = b"\x93NUMPY"
#: The longest header read. NumPy writes about 120 bytes for the arrays chainrule saves.
MAX_HEADER = 4096
MAX_NDIM = 32

#: The dtypes an array may have, by their ``descr``: real and complex numbers and booleans, in
#: little-endian order as NumPy writes them on every machine chainrule runs on. Text (``<U``)
#: is allowed apart, for metadata. Objects (``|O``: a pickle) and datetimes are not.
DTYPES: dict[str, np.dtype] = {
    descr: np.dtype(descr)
    for descr in (
        "|b1", "|u1", "|i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8",
        "<f2", "<f4", "<f8", "<c8", "<c16",
    )
}  # fmt: skip

_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[<>|=][a-zA-Z][0-9]{0,6}(?:\[[a-zA-Z0-9]{1,8}\])?)', "
    r"'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>(?:(?:0|[1-9][0-9]{0,18}), ?)*(?:0|[1-9][0-9]{0,18})?)\), ?\} *\n",
    re.ASCII,
)


class NpyFormatError(ValueError):
    """Bytes that are not a ``.npy`` array this reader accepts; the message names the member."""


@dataclass(frozen=True)
class NpyHeader:
    """What a ``.npy`` header says: the dtype, the shape, the memory order, where the data starts."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    data_offset: int

    @property
    def nbytes(self) -> int:
        """The data's size in bytes, as a Python int (no overflow however large the claim)."""
        return math.prod(self.shape) * self.dtype.itemsize


def parse_npy_header(data: bytes, name: str) -> NpyHeader:
    """Parse the header at the start of ``data``; raise ``NpyFormatError`` naming ``name`` if it is not one.

    >>> import io, numpy as np
    >>> buf = io.BytesIO(); np.save(buf, np.zeros(3))
    >>> parse_npy_header(buf.getvalue(), "x.npy").shape
    (3,)
    """
    if data[:6] != MAGIC:
        raise NpyFormatError(f"{name}: not a .npy array (it does not start with \\x93NUMPY)")
    if len(data) < 10:
        raise NpyFormatError(f"{name}: .npy header cut off after {len(data)} bytes")
    major, minor = data[6], data[7]
    if (major, minor) == (1, 0):
        length, start = int.from_bytes(data[8:10], "little"), 10
    elif (major, minor) in ((2, 0), (3, 0)):
        length, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise NpyFormatError(f"{name}: .npy format version {major}.{minor} is not one NumPy writes")
    if length > MAX_HEADER:
        raise NpyFormatError(f"{name}: .npy header claims {length} bytes (at most {MAX_HEADER})")
    raw = data[start : start + length]
    if len(raw) < length:
        raise NpyFormatError(f"{name}: .npy header cut off ({len(raw)} of {length} bytes)")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise NpyFormatError(f"{name}: .npy header has non-ASCII bytes") from None
    match = _HEADER.fullmatch(text)
    if match is None:
        shown = text.rstrip(" \n")[:120]
        raise NpyFormatError(f"{name}: .npy header is not the dict NumPy writes: {shown!r}")
    dtype = _dtype(match["descr"], name)
    sizes = match["shape"].replace(" ", "").split(",")
    if len(sizes) == 1 and sizes[0]:  # "(3)" is the int 3 in Python, not a 1-d shape
        raise NpyFormatError(f"{name}: .npy shape ({sizes[0]}) lacks the comma of a 1-d tuple")
    shape = tuple(int(s) for s in sizes if s)
    if len(shape) > MAX_NDIM:
        raise NpyFormatError(f"{name}: .npy shape has {len(shape)} dimensions (at most {MAX_NDIM})")
    return NpyHeader(dtype, shape, match["fortran"] == "True", start + length)


def _dtype(descr: str, name: str) -> np.dtype:
    if descr in DTYPES:
        return DTYPES[descr]
    text = re.fullmatch(r"<U([1-9][0-9]{0,6})", descr, re.ASCII)
    if text:
        return np.dtype(descr)
    raise NpyFormatError(
        f"{name}: .npy dtype {descr!r} is not read here (little-endian numbers, booleans, text)"
    )


def read_npy(data: bytes, name: str) -> np.ndarray:
    """The array ``data`` holds (a new, writable one), after checking it holds exactly what its header says.

    Nothing is allocated before the size check, so a header claiming 10¹³ elements costs nothing.
    """
    header = parse_npy_header(data, name)
    held = len(data) - header.data_offset
    if held != header.nbytes:
        raise NpyFormatError(
            f"{name}: .npy header says shape {header.shape} of {header.dtype} ({header.nbytes} bytes) "
            f"but {held} bytes follow it"
        )
    flat = np.frombuffer(data, dtype=header.dtype, offset=header.data_offset)
    order = "F" if header.fortran_order else "C"
    return flat.reshape(header.shape, order=order).copy(order="K")

"""Download a file from a list of mirrors, verify its SHA-256, and only then put it in place.

The bytes stream into a temporary file beside the destination while being hashed; a file whose
hash is wrong is deleted, never renamed into place, and the next mirror is tried. So the cache
only ever holds complete, verified files.

>>> import hashlib, pathlib, tempfile
>>> src = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
>>> _ = src.write_bytes(b"hello")
>>> dest = src.with_name("copy.txt")
>>> download([src.as_uri()], dest, hashlib.sha256(b"hello").hexdigest(), progress=False) == src.as_uri()
True
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

from chainrule._io import atomic_path

__all__ = ["download", "DownloadError", "ChecksumError"]

_CHUNK = 1 << 16


class ChecksumError(ValueError):
    """The downloaded bytes do not hash to the pinned SHA-256."""


class DownloadError(OSError):
    """No mirror delivered the file with the right checksum; the message lists each mirror's failure."""


def _one_line(e: BaseException) -> str:
    """An exception as one short line (urllib's reasons can hold newlines)."""
    return " ".join(str(e).split()) or type(e).__name__


def download(
    urls: Sequence[str],
    dest: str | os.PathLike[str],
    sha256: str,
    *,
    progress: bool = True,
    timeout: float = 30.0,
) -> str:
    """Fetch the first URL of ``urls`` that works and matches ``sha256`` into ``dest``; return that URL.

    Each try streams into a temporary file and is renamed to ``dest`` only if its SHA-256 is
    right; any failure (connection refused, HTTP error, timeout, wrong checksum) moves on to
    the next URL. :class:`DownloadError` lists every failure when none succeeds. ``progress``
    shows a tqdm bar on stderr.
    """
    from http.client import HTTPException  # noqa: PLC0415 - here, with urllib: only a download needs them

    dest = Path(dest)
    failures = []
    for url in urls:
        try:
            _fetch(url, dest, sha256.lower(), progress, timeout)
            return url
        # URLError, HTTPError and timeouts are OSErrors; a connection closed early is an
        # http.client.IncompleteRead, which is not.
        except (OSError, HTTPException, ChecksumError) as e:
            failures.append(f"{url}: {_one_line(e)}")
    tried = "; ".join(failures) if failures else "no mirrors given"
    raise DownloadError(f"could not download {dest.name} ({tried})")


def _fetch(url: str, dest: Path, sha256: str, progress: bool, timeout: float) -> None:
    """One try: stream ``url`` into a temp file beside ``dest``, hash it, rename only if it matches."""
    import urllib.request  # noqa: PLC0415 - here, not at the top: it costs ~15 ms, and most runs never download

    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(dest) as tmp:
        total = response.headers.get("Content-Length")
        bar = _progress_bar(dest.name, int(total) if total else None) if progress else None
        try:
            with open(tmp, "wb") as f:
                while chunk := response.read(_CHUNK):
                    f.write(chunk)
                    digest.update(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        received = tmp.stat().st_size
        if total and received != int(total):
            # http.client returns a short read, not an error, when the server hangs up early.
            raise ConnectionError(
                f"connection closed after {received} of {int(total)} bytes; file discarded"
            )
        if digest.hexdigest() != sha256:
            # Raising inside atomic_path deletes the temporary file: nothing bad reaches the cache.
            raise ChecksumError(
                f"SHA-256 {digest.hexdigest()} does not match the expected {sha256}; file discarded"
            )


def _progress_bar(name: str, total: int | None):  # -> tqdm.tqdm | None
    """A byte-counting tqdm bar on stderr, or None if tqdm is missing (a bar is not worth a failed download)."""
    try:
        from tqdm import tqdm  # noqa: PLC0415 - imported only when a bar is wanted
    except ImportError:
        return None
    return tqdm(total=total, desc=name, unit="B", unit_scale=True, unit_divisor=1024, leave=False)

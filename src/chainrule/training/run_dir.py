"""A run directory, made safe to write: nothing a user has is overwritten, one writer at a time.

``chainrule train --out DIR`` writes four files into DIR (:data:`RUN_FILES`). Before any data
is loaded, :func:`claim_run_directory` checks that DIR can hold them:

* DIR is a directory (created if missing) that this user may write into;
* a fresh run (no ``--resume``) finds none of the four there, since each would be replaced
  (``--force`` says replacing them is meant). A resumed run continues files it wrote before;
* no other ``chainrule train`` is writing into DIR: the run holds an exclusive lock on
  ``DIR/.chainrule-train.lock`` (``fcntl.flock``) until it ends. The kernel drops the lock when
  its process dies, however it dies, so a lock left by a killed run is never "stale": the
  file stays, and the next run simply takes the lock;
* temporary files left by a run killed mid-write (``.checkpoint.npz.<random>.tmp``) are removed.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
>>> with claim_run_directory(out, resume=False, force=False):
...     sorted(p.name for p in out.iterdir())
['.chainrule-train.lock']
>>> sorted(p.name for p in out.iterdir())  # released: the lock file goes with the lock
[]
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; runs there are not protected from each other
    fcntl = None  # type: ignore[assignment]

__all__ = ["RUN_FILES", "LOCK_FILE", "RunDirectoryError", "claim_run_directory"]

#: What a run writes into its directory; the checkpoint first, as the proof a run was there.
RUN_FILES = ("checkpoint.npz", "metrics.jsonl", "summary.json", "curves.png")
LOCK_FILE = ".chainrule-train.lock"


class RunDirectoryError(ValueError):
    """The output directory cannot be used: not a directory, not writable, holds a user's files,
    or another run is writing into it. The message names the directory and what to do."""


def _check_location(out: Path) -> None:
    """DIR exists (made if need be), is a directory, and this user may create files in it."""
    if out.exists() and not out.is_dir():
        raise RunDirectoryError(f"--out {out} is a file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunDirectoryError(f"--out {out}: cannot create it ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise RunDirectoryError(f"--out {out}: no permission to write into it")


def _check_nothing_is_replaced(out: Path, resume: bool, force: bool) -> None:
    for name in RUN_FILES:
        path = out / name
        if path.is_dir() or (path.is_symlink() and not path.exists()):
            raise RunDirectoryError(f"{path} is in the way of the run's {name}; move it away")
        if not (resume or force) and path.exists():
            what = "a run" if name == RUN_FILES[0] else "a file"
            raise RunDirectoryError(
                f"{out} already holds {what} ({name}) that this run would replace; resume it "
                "with --resume, pass --force to replace it, or choose another --out"
            )


def _remove_stale_temporaries(out: Path) -> None:
    """Delete what a killed run's atomic writes left (``chainrule._io.atomic_path``'s names)."""
    for name in RUN_FILES:
        for leftover in out.glob(f".{name}.*.tmp"):
            leftover.unlink(missing_ok=True)


def _holder(fd: int) -> str:
    """Who holds the lock, as its file says (``pid 1234``), for the error message."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        pid = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "a process that has not written its pid yet"


def _lock(path: Path) -> int:
    """Take the exclusive lock on ``path``; return its descriptor, or raise naming the holder."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunDirectoryError(
                f"{path.parent} is in use by another chainrule train ({holder}); wait for it to "
                "finish, or choose another --out"
            ) from None
        # The previous holder unlinks the file as it lets go. If that happened between our open
        # and our flock, we hold a lock on a file nobody else can see: open the new one instead.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


@contextlib.contextmanager
def claim_run_directory(out: Path, *, resume: bool, force: bool) -> Iterator[Path]:
    """Check ``out`` can take a run, hold its lock while the body runs, and release it after.

    Raises :class:`RunDirectoryError` before anything is written when ``out`` is unusable,
    would lose a file (a fresh run without ``force``), or is in use by another run.
    """
    out = Path(out)
    _check_location(out)
    lock_path = out / LOCK_FILE
    fd = _lock(lock_path) if fcntl is not None else None
    try:
        # Checked while holding the lock, so a run that just finished cannot slip in between.
        _check_nothing_is_replaced(out, resume, force)
        _remove_stale_temporaries(out)
        yield out
    finally:
        if fd is not None:
            lock_path.unlink(missing_ok=True)  # while still held: no one can take it in between
            os.close(fd)

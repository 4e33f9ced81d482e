"""The last line of defence around every ``chainrule`` command: one line for whatever goes wrong.

A user mistake is a ``CLIError`` and a failed run a ``RunError`` (see ``errors``); this
module handles the rest, so that no one meets a traceback they did not ask for:

* any other exception becomes ``error: <what> (<where>); run with --debug for the traceback``,
  exit status 1 (``--debug`` shows the traceback instead);
* every message is made one line and at most ``MAX_MESSAGE`` characters, so an error that quotes
  a huge input (100,000 checkpoint keys, a 200 KB expression) stays readable;
* a closed stdout (``chainrule train ... | head -1``) does not stop the work: what is printed
  after it is dropped;
* warnings from NumPy or Pillow become one ``note:`` line each, without the source line.

>>> one_line("first\\nsecond " + "x" * 600)[:20], len(one_line("y" * 10_000))
('first second xxxxxxx', 500)
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "MAX_MESSAGE", "caused_by_interrupt", "describe_unexpected", "notes_for_warnings", "one_line", "say",
]  # fmt: skip

#: The longest error or note line printed, in characters.
MAX_MESSAGE = 500
_PACKAGE = Path(__file__).resolve().parents[1]  # src/chainrule


def one_line(message: object) -> str:
    """``message`` on one line (newlines become spaces), cut to ``MAX_MESSAGE`` characters."""
    text = " ".join(str(message).split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text


def caused_by_interrupt(error: BaseException) -> bool:
    """Is a Ctrl-C behind ``error``? Python wraps one raised inside some machinery, e.g. a class's
    ``__set_name__`` while a module imports, in a ``RuntimeError`` whose cause it is."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def describe_unexpected(error: BaseException) -> str:
    """``<what> (<where>)``: the exception and the innermost line of chainrule it came through."""
    what = type(error).__name__ + (f": {error}" if str(error) else "")
    where = "unknown place"
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename)
        with contextlib.suppress(ValueError):  # not under the package: keep looking outwards
            where = f"chainrule/{path.resolve().relative_to(_PACKAGE).as_posix()}:{frame.lineno}"
            break
    else:
        last = traceback.extract_tb(error.__traceback__)[-1:]
        if last:
            where = f"{Path(last[0].filename).name}:{last[0].lineno}"
    return one_line(f"{what} ({where})")


def say(line: str = "") -> None:
    """Print ``line`` to stdout; if the reader has gone (a closed pipe), drop it and carry on.

    Python's advice for a closed pipe: point stdout at ``os.devnull`` so that the remaining
    output, and the final flush at exit, go nowhere instead of raising again.
    """
    try:
        print(line, flush=True)
    except BrokenPipeError:
        stdout_to_devnull()


def stdout_to_devnull() -> None:
    """Send everything printed from now on (and what is still buffered) to ``os.devnull``."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


@contextlib.contextmanager
def notes_for_warnings(command: str) -> Iterator[None]:
    """While active, each warning prints as ``chainrule <command>: note: <message>``, one line."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        text = one_line(f"chainrule {command}: note: {message}")
        with contextlib.suppress(OSError, ValueError):
            print(text, file=sys.stderr if file is None else file)

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous

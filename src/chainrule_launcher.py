"""The ``chainrule`` command's first code, kept outside the package so it can catch the first Ctrl-C.

Importing chainrule (NumPy, its engines, the CLI) takes a few tenths of a second, and code in
the package runs only after that. A Ctrl-C in those tenths would end in a traceback through
NumPy's imports; here it ends as every other interrupt does: one line, exit status 130.
Nothing has been written yet at that point, so nothing is left half-done.

    python -m chainrule_launcher --version      # the same as `chainrule --version`
"""

from __future__ import annotations

import signal
import sys


class _Interrupted:
    """Python's own Ctrl-C handler (raise ``KeyboardInterrupt``), that also remembers the Ctrl-C.

    A ``KeyboardInterrupt`` raised while the interpreter runs a finalizer or a garbage-collector
    callback is printed and dropped ("Exception ignored in ..."), and one raised in a class's
    ``__set_name__`` comes out as a ``RuntimeError``; imports run many of those. The flag makes
    sure such a Ctrl-C still ends the command, as an interrupt.
    """

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, signum: int, frame: object) -> None:
        self.seen = True
        raise KeyboardInterrupt


_INTERRUPTED = _Interrupted()


def main() -> int:
    """Import ``chainrule.cli`` and run it; a Ctrl-C during the import is one line, exit 130."""
    interrupted = _INTERRUPTED
    try:  # from the first line on: a Ctrl-C may land while the handler is being set
        signal.signal(signal.SIGINT, interrupted)
        from chainrule.cli import main as run  # noqa: PLC0415 - the import is what is guarded
    except KeyboardInterrupt:
        interrupted.seen = True
    except Exception:  # noqa: BLE001 - e.g. a RuntimeError that Python wrapped around the Ctrl-C
        if not interrupted.seen:
            raise
    if interrupted.seen:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        status = run()  # handles its own Ctrl-Cs; this catches one in its first or last lines
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        status = 130
    # The work is done and reported: a Ctrl-C from here to the exit changes nothing, so it is
    # ignored rather than allowed to print a traceback from the interpreter's shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return status


if __name__ == "__main__":
    sys.exit(main())

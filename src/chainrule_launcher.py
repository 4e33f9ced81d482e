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


def main() -> int:
    """Import ``chainrule.cli`` and run it; a Ctrl-C during the import is one line, exit 130."""
    try:
        from chainrule.cli import main as run  # noqa: PLC0415 - the import is what is guarded
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    status = run()
    # The work is done and reported: a Ctrl-C from here to the exit changes nothing, so it is
    # ignored rather than allowed to print a traceback from the interpreter's shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return status


if __name__ == "__main__":
    sys.exit(main())

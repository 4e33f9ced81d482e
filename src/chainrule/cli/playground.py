"""``chainrule playground``: the lecture's live demo, served on this machine.

chainrule playground                  # http://127.0.0.1:8000/, opens the browser
chainrule playground --port 8765 --no-browser
"""

from __future__ import annotations

import argparse
import socket

from chainrule.cli.errors import CLIError, RunError


def run(args: argparse.Namespace) -> int:
    """Check the port is free, then serve the playground until Ctrl-C."""
    if not 0 < args.port < 65536:
        raise CLIError(f"--port must be 1..65535, got {args.port}")
    try:
        from chainrule.playground.server import serve  # noqa: PLC0415 (starlette/uvicorn are optional)
    except ImportError as e:
        raise RunError(
            f"the playground needs its extra: pip install 'chainrule[playground]' ({e})"
        ) from None
    # Asking first gives one clear line instead of uvicorn's log when the port is taken.
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
        try:
            probe.bind((args.host, args.port))
        except OSError as e:
            raise RunError(
                f"cannot listen on {args.host}:{args.port}: {e.strerror}; try --port {args.port + 1}"
            ) from None
    serve(args.host, args.port, open_browser=not args.no_browser)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "playground",
        help="the live demo in a browser: train an MLP on 2-D data, step through backprop",
        description="Serve the chainrule playground on this machine (loopback only unless --host says "
        "otherwise) and open it in the browser. Ctrl-C stops it.",
    )
    p.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to bind (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=run)

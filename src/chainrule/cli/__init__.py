"""The ``chainrule`` command line.

    chainrule graph "(w*x + b - 5)**2" --set x=2 w=3 b=1 --out graph.svg --explain

Each subcommand lives in ``chainrule.cli.<name>``. Every error ends the command
with one readable line on stderr: exit status 2 for a usage problem, 1 for a failure
while running, 130 for Ctrl-C. Even a bug is one line (``guard``), naming the exception
and where it came from; ``--debug`` shows its traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from chainrule import __version__
from chainrule.cli import demo as demo_command
from chainrule.cli import eval as eval_command
from chainrule.cli import graph as graph_command
from chainrule.cli import guard
from chainrule.cli import lab as lab_command
from chainrule.cli import notebooks as notebooks_command
from chainrule.cli import playground as playground_command
from chainrule.cli import predict as predict_command
from chainrule.cli import train as train_command
from chainrule.cli.errors import CLIError, RunError
from chainrule.cli.guard import describe_unexpected, notes_for_warnings, one_line

#: The subcommands, in the order ``chainrule --help`` lists them.
COMMANDS = [
    graph_command,
    train_command,
    eval_command,
    predict_command,
    lab_command,
    demo_command,
    notebooks_command,
    playground_command,
]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line: ``chainrule train: error: argument --seed: ...``.

    (argparse prints the whole usage block first; the line after it is the one that helps,
    and ``--help`` is one flag away.) Subcommands' parsers are made of this class too.
    """

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> object:
        # argparse drops a "--" given as an option's value (`--epochs=--`) and hands the option
        # an empty list, which its type never sees; say it instead.
        if arg_strings == ["--"] and action.option_strings:
            self.error(f"argument {'/'.join(action.option_strings)}: expected a value, got '--'")
        return super()._get_values(action, arg_strings)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{one_line(f'{self.prog}: error: {message} (see {self.prog} --help)')}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chainrule",
        description="Backpropagation you can read: autograd engines, demos and training for the MLP week.",
        epilog="Each command has its own --help, e.g. chainrule train --help.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an unexpected error (may also follow the command)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``chainrule`` with ``argv`` (default ``sys.argv[1:]``); return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # anywhere on the line, so it can be added at the end
    argv = graph_command.protect_leading_minus([a for a in argv if a != "--debug"])
    name = "chainrule"
    try:
        parser = build_parser()
        if not argv:  # bare `chainrule`: what it can do, not a usage error
            parser.print_help()
            return 0
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help, --version, a usage error: argparse has said it
            return e.code if isinstance(e.code, int) else 2
        name = f"chainrule {args.command}"
        with notes_for_warnings(args.command):
            return args.func(args)
    except CLIError as e:
        print(one_line(f"{name}: error: {e}"), file=sys.stderr)
        return 2
    except (RunError, OSError) as e:
        if isinstance(e, BrokenPipeError):  # stdout's reader went away: nothing to say to it
            guard.stdout_to_devnull()
            return 0
        print(one_line(f"{name}: error: {e}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the last line of defence: a bug, said in one line
        if guard.caused_by_interrupt(e):
            print(f"{name}: interrupted", file=sys.stderr)
            return 130
        if debug:
            traceback.print_exc()
        else:
            print(
                f"{name}: error: {describe_unexpected(e)}; run with --debug for the traceback",
                file=sys.stderr,
            )
        return 1

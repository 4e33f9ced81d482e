"""The ``chainrule`` command line.

    chainrule graph "(w*x + b - 5)**2" --set x=2 w=3 b=1 --out graph.svg --explain

Each subcommand lives in ``chainrule.cli.<name>``. Every error ends the command
with one readable line on stderr: exit status 2 for a usage problem, 1 for a failure
while running. Tracebacks are for bugs, not for user mistakes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chainrule.cli import demo as demo_command
from chainrule.cli import eval as eval_command
from chainrule.cli import graph as graph_command
from chainrule.cli import lab as lab_command
from chainrule.cli import playground as playground_command
from chainrule.cli import predict as predict_command
from chainrule.cli import train as train_command
from chainrule.cli.errors import CLIError, RunError

#: The subcommands, in the order ``chainrule --help`` lists them.
COMMANDS = [
    graph_command,
    train_command,
    eval_command,
    predict_command,
    lab_command,
    demo_command,
    playground_command,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Backpropagation you can read: autograd engines, demos and training for the MLP week.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CLIError as e:
        print(f"chainrule {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (RunError, OSError) as e:
        print(f"chainrule {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130

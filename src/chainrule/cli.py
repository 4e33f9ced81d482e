"""The ``chainrule`` command line.

    chainrule graph "(w*x + b - 5)**2" --set x=2 w=3 b=1 --out graph.svg --explain

Every error ends the command with one readable line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chainrule.viz.naming import fmt


class CLIError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


def _parse_assignments(items: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        name, sep, number = item.partition("=")
        if not sep or not name.strip():
            raise CLIError(f"--set expects name=number, got {item!r}")
        try:
            values[name.strip()] = float(number)
        except ValueError:
            raise CLIError(f"--set {name.strip()}: {number!r} is not a number") from None
    return values


def cmd_graph(args: argparse.Namespace) -> int:
    """Evaluate an expression with Values, backpropagate, print every gradient."""
    from chainrule.scalar.expr import evaluate  # noqa: PLC0415
    from chainrule.viz.graph import draw_graph  # noqa: PLC0415

    variables = _parse_assignments(args.set or [])
    leaves, result = evaluate(args.expression, variables)
    result.label = "L"
    trace = result.backward(trace=args.explain)
    print(f"L = {args.expression} = {fmt(result.data)}")
    for name, v in leaves.items():
        print(f"dL/d{name} = {fmt(v.grad)}")
    if trace is not None:
        print()
        print(trace)
    if args.out:
        draw_graph(result, args.out)
        print(f"graph written to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Backpropagation you can read: autograd engines, demos and training for the MLP week.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    g = sub.add_parser(
        "graph", help="evaluate an expression, backpropagate, print the gradients",
        description="Evaluate an arithmetic expression with scalar Values, run backward from it, "
                    "and print dL/d(variable) for every variable. Allowed: numbers, names, "
                    "+ - * / **, unary minus, relu sigmoid tanh exp log.",
    )
    g.add_argument("expression", help='e.g. "(w*x + b - 5)**2"')
    g.add_argument("--set", nargs="+", metavar="NAME=NUMBER", help="variable values, e.g. x=2 w=3 b=1")
    g.add_argument("--out", metavar="FILE", help="draw the graph to FILE (.svg, .png, .pdf or .dot)")
    g.add_argument("--explain", action="store_true", help="print the step-by-step backward trace")
    g.set_defaults(func=cmd_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, ValueError, ArithmeticError, TypeError, OSError) as e:
        print(f"chainrule {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

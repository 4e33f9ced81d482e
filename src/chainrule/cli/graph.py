"""``chainrule graph``: evaluate an expression with Values, backpropagate, show the gradients."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from chainrule.cli.errors import CLIError
from chainrule.scalar.expr import shorten
from chainrule.viz.naming import fmt


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


def protect_leading_minus(argv: list[str]) -> list[str]:
    """``argv`` with a ``graph`` expression that starts with ``-`` (BCE's ``-log(...)``) kept an expression.

    argparse reads any argument starting with ``-`` as an option, unless it holds a space;
    so such an expression gets one leading space, which the expression's reader skips.

    >>> protect_leading_minus(["graph", "-log(z)", "--set", "z=1"])
    ['graph', ' -log(z)', '--set', 'z=1']
    """
    command = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if command is None or argv[command] != "graph":
        return argv
    start = command + 1
    options = ("-h", "--help", "--set", "--out", "--explain")
    return argv[:start] + [
        f" {a}" if a.startswith("-") and not a.startswith("--") and a not in options else a
        for a in argv[start:]
    ]


def run(args: argparse.Namespace) -> int:
    """Evaluate an expression with Values, backpropagate, print every gradient."""
    from chainrule.scalar.expr import evaluate  # noqa: PLC0415
    from chainrule.viz.graph import draw_graph  # noqa: PLC0415

    expression = args.expression.strip()  # see protect_leading_minus
    variables = _parse_assignments(args.set or [])
    try:
        leaves, result = evaluate(expression, variables)
        result.label = "L"
        trace = result.backward(trace=args.explain)
    except (ValueError, ArithmeticError, TypeError) as e:  # bad expression or math domain
        raise CLIError(str(e)) from None
    overflowed = [name for name, v in leaves.items() if not math.isfinite(v.grad)]
    if overflowed:
        raise CLIError(
            f"overflow in the backward pass: dL/d{overflowed[0]} is {leaves[overflowed[0]].grad} "
            "(too large for a float)"
        )
    print(f"L = {shorten(expression, 200)} = {fmt(result.data)}")
    for name, v in leaves.items():
        print(f"dL/d{name} = {fmt(v.grad)}")
    if trace is not None:
        print()
        print(trace)
    if args.out:
        try:
            draw_graph(result, args.out)
        except ValueError as e:
            raise CLIError(str(e)) from None
        print(f"graph written to {args.out}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser(
        "graph",
        help="evaluate an expression, backpropagate, print the gradients",
        description="Evaluate an arithmetic expression with scalar Values, run backward from it, "
        "and print dL/d(variable) for every variable. Allowed: numbers, names, "
        "+ - * / **, unary minus, relu sigmoid tanh exp log.",
    )
    g.add_argument("expression", help='e.g. "(w*x + b - 5)**2"')
    g.add_argument(
        "--set", nargs="+", metavar="NAME=NUMBER", help="variable values, e.g. x=2 w=3 b=1"
    )
    g.add_argument(
        "--out", metavar="FILE", help="draw the graph to FILE (.svg, .png, .pdf or .dot)"
    )
    g.add_argument("--explain", action="store_true", help="print the step-by-step backward trace")
    g.set_defaults(func=run)

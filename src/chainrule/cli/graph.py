"""``chainrule graph``: evaluate an expression with Values, backpropagate, show the gradients."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from typing import Any

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


def _three_ways_table(expression: str, variables: dict[str, float]) -> str:
    """SymPy's derivative, autograd's and a central difference, one row per variable."""
    from chainrule.scalar.symbolic import three_ways  # noqa: PLC0415 - it imports SymPy, slowly

    h = 1e-6
    try:
        rows = three_ways(expression, variables, h)
    except ImportError as e:  # the symbolic extra is not installed
        raise CLIError(str(e)) from None
    table = [["variable", "SymPy's derivative", "symbolic", "autograd", f"numeric (h={h:g})"]]
    table += [
        [f"dL/d{r.variable}", r.formula, *map(fmt, (r.symbolic, r.autograd, r.numeric))]
        for r in rows
    ]
    widths = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
    lines = ["Three ways to differentiate: symbolically (SymPy), by autograd, numerically"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    return "\n".join(lines)


def _apply_names(items: Sequence[str], root: Any) -> None:
    """``--names z1="w*x"``: call the node computing that sub-expression ``z1`` in the drawing.

    Every intermediate Value is labelled with the sub-expression it computes, written the way
    ``expr.evaluate`` writes it; the user's text goes through the same reader (with every name
    set to 1), so its label is matched whatever its spacing and brackets.
    """
    from chainrule.scalar.expr import FUNCTIONS, evaluate, tokenize  # noqa: PLC0415 (--names)
    from chainrule.scalar.graph import topological_order  # noqa: PLC0415

    by_label = {v.label: v for v in topological_order(root) if v.label}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise CLIError(f"--names expects name=sub-expression, e.g. z1='w*x', got {item!r}")
        try:
            tokens = tokenize(text)
            names = {t.text for t in tokens if t.kind == "name" and t.text not in FUNCTIONS}
            key = evaluate(text.strip(), dict.fromkeys(names, 1.0))[1].label
        except (ValueError, ArithmeticError):
            raise CLIError(f"--names {name}: cannot read {text!r} as an expression") from None
        if key not in by_label:
            raise CLIError(
                f"--names {name}: {text!r} is not a sub-expression of the graph; "
                f"its nodes are {', '.join(repr(k) for k in by_label)}"
            )
        by_label[key].label = name


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
    options = (
        "-h",
        "--help",
        "--set",
        "--out",
        "--explain",
        "--symbolic",
        "--names",
        "--rankdir",
        "--dpi",
    )
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
        _apply_names(args.names or [], result)
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
    if args.symbolic:
        print()
        print(_three_ways_table(expression, variables))
    if trace is not None:
        print()
        print(trace)
    if args.out:
        try:
            draw_graph(result, args.out, rankdir=args.rankdir, dpi=args.dpi)
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
    g.add_argument(
        "--symbolic",
        action="store_true",
        help="also print SymPy's derivative for each variable beside autograd's value and a "
        "central difference (needs the symbolic extra: pip install 'chainrule[symbolic]')",
    )
    g.add_argument(
        "--names",
        nargs="+",
        metavar="NAME=SUBEXPR",
        help="name intermediate nodes in the drawing and trace, e.g. z1='w*x' z2='w*x + b'",
    )
    g.add_argument(
        "--rankdir",
        choices=["LR", "TB"],
        default="LR",
        help="lay the drawing out left to right (default) or top to bottom; "
        "a long graph wraps into rows or columns to fit a 16:9 slide",
    )
    g.add_argument("--dpi", type=int, default=100, help="resolution of a PNG drawing (default 100)")
    g.set_defaults(func=run)

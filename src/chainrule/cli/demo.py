"""``chainrule demo``: run one of the lecture's demos, narrate the result, save numbers and figures.

chainrule demo --list
chainrule demo xor --out results/
chainrule demo all --quick          # every demo, one after another
"""

from __future__ import annotations

import argparse
import re
import shutil
import textwrap

from chainrule.cli.argtypes import SEED_MAX, integer
from chainrule.cli.errors import CLIError, RunError


def wrap_narration(text: str, width: int) -> str:
    """Wrap each narration line at word boundaries to ``width``, continuing under its text.

    A terminal would otherwise break a long verdict in the middle of a word.

    >>> print(wrap_narration("  verdict:  HOLDS. the gradient vanishes layer by layer, as the claim said", 40))
      verdict:  HOLDS. the gradient vanishes
                layer by layer, as the claim
                said
    """
    wrapped = []
    for line in text.splitlines():
        label = re.match(r"( *[a-z-]+: +| +)", line)  # "  claim:    ", or the indent alone
        indent = " " * (label.end() if label else 0)
        wrapped.append(
            textwrap.fill(
                line,
                width=max(width - 1, 40),
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(wrapped)


def run(args: argparse.Namespace) -> int:
    """List the demos, or run one: print its narration, write NAME.json and its PNGs under --out."""
    from chainrule.demos import DEMOS  # noqa: PLC0415 (keeps `chainrule --help` fast)

    if args.list:
        width = max(len(name) for name in DEMOS)
        for demo in DEMOS.values():
            print(f"{demo.name:{width}}  {demo.description}")
        return 0
    if not args.name:
        raise CLIError("name a demo to run, 'all', or use --list; demos: " + ", ".join(DEMOS))
    if args.name != "all" and args.name not in DEMOS:
        raise CLIError(f"unknown demo {args.name!r}; choose one of: all, {', '.join(DEMOS)}")
    names = list(DEMOS) if args.name == "all" else [args.name]
    for i, name in enumerate(names):
        if len(names) > 1:
            if i:
                print()
            print(f"== {name} ({i + 1}/{len(names)}) ==")
        try:
            result = DEMOS[name].run(seed=args.seed, quick=args.quick)
        except FloatingPointError as e:  # a demo that diverges where it should not
            raise RunError(f"{name}: {e}") from None
        print(wrap_narration(result.narrate(), shutil.get_terminal_size((100, 24)).columns))
        if args.out:
            written = result.save(args.out, dpi=args.dpi)
            print("wrote " + ", ".join(str(p) for p in written))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser(
        "demo",
        help="run a lecture demo: the claim, the measurement, the verdict",
        description="Run one of the MLP week's demos. Prints the claim, what was measured and the verdict; "
        "with --out DIR also writes DIR/NAME.json (the numbers) and DIR/NAME*.png (the figures).",
    )
    d.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="the demo to run (see --list), or 'all' for every one",
    )
    d.add_argument("--list", action="store_true", help="print the demos, one per line, and exit")
    d.add_argument("--out", metavar="DIR", help="write NAME.json and the figures into DIR")
    d.add_argument("--seed", type=integer(0, SEED_MAX), default=0, help="random seed (default 0)")
    d.add_argument(
        "--quick", action="store_true", help="a smaller, faster run (what the tests use)"
    )
    d.add_argument(
        "--dpi",
        type=integer(20, 600),
        default=100,
        help="resolution of the PNG figures, 20 to 600 (default 100)",
    )
    d.set_defaults(func=run)

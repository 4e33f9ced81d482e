"""``chainrule lab build``: write the lab's student copy and solution copy from one source.

chainrule lab build --out lab/          # lab/student/mlp_lab.ipynb, lab/solution/mlp_lab.ipynb (+ .py)
chainrule lab build --format py         # jupytext .py files only (no jupytext needed)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from chainrule.cli.errors import CLIError, RunError


def run(args: argparse.Namespace) -> int:
    """Split the lab source into its two copies and say where they went."""
    from chainrule.lab.build import LAB_SOURCE, EditedFileError, build_lab  # noqa: PLC0415

    formats = ("ipynb", "py") if args.format == "both" else (args.format,)
    source = Path(args.source) if args.source else LAB_SOURCE
    if not source.is_file():
        raise CLIError(f"--source {source}: no such file")
    try:
        written = build_lab(args.out, formats=formats, source=source, force=args.force)
    except EditedFileError as e:  # a student's edits: kept, and named
        raise RunError(str(e)) from None
    except ImportError as e:  # jupytext missing for .ipynb
        raise RunError(str(e)) from None
    except ValueError as e:  # a malformed solution marker, with its line number
        raise RunError(str(e)) from None
    for kind in ("student", "solution"):
        for path in written[kind]:
            print(f"{kind:8s} {path}")
    print("Hand out the student folder; the solution folder holds every answer.")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser(
        "lab",
        help="the weekly lab: build the student and solution copies",
        description="Tools for the MLP week's lab.",
    )
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION")
    lab_sub.required = True
    build = lab_sub.add_parser(
        "build",
        help="write the student copy (solutions blanked) and the solution copy",
        description="Split the lab source at its '# BEGIN SOLUTION' / '# END SOLUTION' markers into "
        "OUT/student/ (every solution replaced by a placeholder) and OUT/solution/. "
        "Building again replaces only files it wrote and nobody changed since (their SHA-256 "
        "is kept in OUT/.chainrule-lab.json); an edited file stops the build, exit status 1, "
        "unless --force.",
    )
    build.add_argument("--out", default="lab", metavar="DIR", help="output folder (default: ./lab)")
    build.add_argument(
        "--format",
        choices=("ipynb", "py", "both"),
        default="both",
        help="notebooks, jupytext percent .py files, or both (default); .ipynb needs jupytext",
    )
    build.add_argument(
        "--source",
        metavar="FILE",
        help="a lab source with solution markers (default: the lab shipped with chainrule)",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="overwrite files even if they were edited since the last build (a student's work!)",
    )
    build.set_defaults(func=run)

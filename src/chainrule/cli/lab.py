"""``chainrule lab build`` and ``chainrule lab grade``: the lab's copies, then its grading.

chainrule lab build --out lab/          # lab/student/, lab/solution/ (.ipynb + .py), lab/grader/
chainrule lab build --format py         # jupytext .py files only (no jupytext needed)
chainrule lab grade subs/*.ipynb --bundle lab/grader/lab-grader.json --out graded/
chainrule lab grade --import-review --out graded/   # after filling in graded/review/*.csv
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
    for kind in ("student", "solution", "grader"):
        for path in written[kind]:
            print(f"{kind:8s} {path}")
    print(
        "Hand out the student folder; the solution folder holds every answer and the grader "
        "folder the hidden tests: keep both to yourself."
    )
    return 0


def grade(args: argparse.Namespace) -> int:
    """Grade submissions (or import a review) and say where the gradebook went."""
    from chainrule.lab import grade as grading  # noqa: PLC0415 - only this command needs it
    from chainrule.lab import grade_report  # noqa: PLC0415

    out = Path(args.out)
    if args.import_review:
        if args.submissions:
            raise CLIError("--import-review takes no submissions: it re-scores the run in --out")
        try:
            results = grade_report.import_review(out)
        except (OSError, ValueError) as e:
            raise RunError(str(e)) from None
        print(f"entered the review sheets of {out / 'review'} into {out / 'grades.csv'}")
        return 0
    if not args.submissions:
        raise CLIError("give the submissions to grade (.ipynb or .py files)")
    paths = [Path(p) for p in args.submissions]
    for p in paths:
        if p.suffix not in (".ipynb", ".py"):
            raise CLIError(f"{p}: a submission is an .ipynb or a .py file")
        if not p.is_file():
            raise CLIError(f"{p}: no such file")
    stems = [p.stem for p in paths]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise CLIError(f"two submissions share the name {twice[0]!r}: students are named by file")
    bundle = Path(args.bundle)
    if not bundle.is_file():
        raise CLIError(f"--bundle {bundle}: no such file (chainrule lab build writes it)")
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / grade_report.GRADING_FILE).is_file():
        raise RunError(
            f"--out {out}: holds files that are not a grading run; choose an empty folder"
        )
    limits = grading.Limits(
        cell_timeout_s=args.cell_timeout,
        submission_timeout_s=args.timeout,
        memory_mb=args.memory_mb,
    )
    try:
        results = grading.grade_all(
            paths, bundle, limits, jobs=args.jobs, protected=[str(out.resolve())]
        )
        grade_report.write_all(out, results)
    except (OSError, ValueError) as e:
        raise RunError(str(e)) from None
    for r in results:
        flags = f"  [{'; '.join(r.flags)}]" if r.flags else ""
        print(f"{r.student:24s} {r.total:6g} / {r.max_total:g}{flags}")
    print(
        f"grades {out / 'grades.csv'}, feedback {out / 'feedback'}, summary {out / 'summary.html'}"
    )
    print(f"free-text answers to review: {out / 'review'} (then --import-review)")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser(
        "lab",
        help="the weekly lab: build the student and solution copies, grade submissions",
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

    grade_cmd = lab_sub.add_parser(
        "grade",
        help="grade submissions: each in a fresh kernel with limits; gradebook and feedback",
        description="Run every submission (.ipynb, Colab's too, or a jupytext .py) in its own "
        "process with a fresh kernel, a per-cell and a per-submission timeout, memory and CPU "
        "limits and a temporary folder; score each question's visible and hidden tests with "
        "partial credit; write grades.csv, feedback/, results/ (Gradescope), review/ and "
        "summary.html into --out. Students are named by their file names.",
    )
    grade_cmd.add_argument("submissions", nargs="*", metavar="SUBMISSION")
    grade_cmd.add_argument("--out", required=True, metavar="DIR", help="where the results go")
    grade_cmd.add_argument(
        "--bundle",
        default="lab/grader/lab-grader.json",
        metavar="FILE",
        help="the grader bundle from chainrule lab build (default: lab/grader/lab-grader.json)",
    )
    grade_cmd.add_argument("--cell-timeout", type=float, default=60.0, metavar="S")
    grade_cmd.add_argument(
        "--timeout", type=float, default=300.0, metavar="S", help="per submission (default 300)"
    )
    grade_cmd.add_argument("--memory-mb", type=int, default=2048, metavar="MB")
    grade_cmd.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="at a time (default: the cores)"
    )
    grade_cmd.add_argument(
        "--import-review",
        action="store_true",
        help="enter the points typed into --out's review sheets and write every output again",
    )
    grade_cmd.set_defaults(func=grade)

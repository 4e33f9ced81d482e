"""``chainrule notebooks``: hand out the course's notebooks as .ipynb files, ready for Jupyter or Colab.

chainrule notebooks --out course/           # lecture_demo.ipynb, practice.ipynb, mlp_lab.ipynb
chainrule notebooks --out course/ --force   # replace earlier copies of those three files

The notebooks come from the installed package (``chainrule/notebooks/`` and the lab's student
copy beside its source), so this works without a repository checkout or a network. Each one
starts with a cell that installs chainrule where it is missing (a fresh Colab runtime) and does
nothing where it is installed. A file that is already there is never replaced without
``--force``: it may hold a student's work.
"""

from __future__ import annotations

import argparse
import importlib.resources
from pathlib import Path

from chainrule.cli.errors import RunError

#: What is handed out: (package folder, file name), in the course's order. The lab is the
#: student copy (no solutions, no hidden tests); instructors build the rest with `lab build`.
NOTEBOOKS = [
    ("notebooks", "lecture_demo.ipynb"),
    ("notebooks", "practice.ipynb"),
    ("lab/notebooks", "mlp_lab.ipynb"),
]


def run(args: argparse.Namespace) -> int:
    """Copy the three notebooks into ``--out``, refusing to replace a file unless ``--force``."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise RunError(f"--out {out}: exists and is not a folder")
    targets = [(folder, name, out / name) for folder, name in NOTEBOOKS]
    if not args.force:
        taken = [str(target) for _, _, target in targets if target.exists()]
        if taken:
            raise RunError(
                f"{taken[0]} already exists (it may hold your work); pick another --out, or "
                "--force to replace the course's notebooks there"
            )
    try:
        out.mkdir(parents=True, exist_ok=True)
        for folder, name, target in targets:
            shipped = importlib.resources.files("chainrule").joinpath(folder, name)
            target.write_bytes(shipped.read_bytes())
            print(f"wrote {target}")
    except OSError as e:
        raise RunError(f"--out {out}: {e.strerror or e}") from None
    print("Open them in Jupyter (jupyter lab), or upload them to Colab: File > Upload notebook.")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "notebooks",
        help="write the lecture, practice and lab notebooks (.ipynb) for Jupyter or Colab",
        description="Write the course's notebooks as .ipynb files: the lecture demo, the "
        "practice notebook and the lab's student copy, each opening with an install cell.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write them into")
    p.add_argument(
        "--force", action="store_true", help="replace these three files if they are already there"
    )
    p.set_defaults(func=run)

"""Write the course notebooks' .ipynb forms from their jupytext sources, and their Colab links.

    python scripts/make_notebooks.py           # rewrite src/chainrule/notebooks/*.ipynb + links
    python scripts/make_notebooks.py --check   # exit 1, naming each stale file, if any differ

The ``.py`` files in ``notebooks/`` are the source of truth (they diff and review well); the
``.ipynb`` files are what Colab and Jupyter open, so they are committed and shipped in the
wheel as package data. The output is deterministic (cell ids are numbered, no outputs, no
execution counts), so ``--check`` can tell a stale copy from a fresh one byte for byte;
``tests/test_notebooks.py`` runs it. The "Open in Colab" links in notebooks/README.md (between
its ``colab-links`` markers) are made from ``[tool.chainrule.notebooks]`` in pyproject.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext

from chainrule.lab.build import student_notebook

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks"
OUT = ROOT / "src" / "chainrule" / "notebooks"
README = SOURCES / "README.md"
LAB_STUDENT = ROOT / "src" / "chainrule" / "lab" / "notebooks" / "mlp_lab.ipynb"
START, END = "<!-- colab-links:start -->", "<!-- colab-links:end -->"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
#: The notebooks shipped as .ipynb, in the course's order (the lab's student copy comes from
#: its own builder, see expected()).
NAMES = ["lecture_demo", "practice"]


def to_ipynb(source: Path) -> str:
    """The .ipynb text of one jupytext percent-format source, the same on every run."""
    nb = jupytext.read(source)
    for i, cell in enumerate(nb.cells):
        # nbformat gives new cells random ids; numbered ones keep the file stable.
        cell["id"] = f"{source.stem}-{i:02d}"
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.metadata.pop("jupytext", None)
    nb.metadata["colab"] = {"name": f"{source.stem}.ipynb", "provenance": []}
    return jupytext.writes(nb, fmt="ipynb")


def colab_url(name: str) -> str:
    """The Colab link of one shipped notebook, from pyproject.toml's [tool.chainrule.notebooks]."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    links = config["tool"]["chainrule"]["notebooks"]
    path = (OUT / f"{name}.ipynb").relative_to(ROOT).as_posix()
    return links["url"].format(repository=links["repository"], branch=links["branch"], path=path)


def with_links(readme: str) -> str:
    """notebooks/README.md with its block of "Open in Colab" links rewritten."""
    if START not in readme or END not in readme:
        raise SystemExit(f"{README.relative_to(ROOT)}: the {START} ... {END} markers are missing")
    lines = [f"- `{name}.ipynb`: [![Open in Colab]({BADGE})]({colab_url(name)})" for name in NAMES]
    head, rest = readme.split(START, 1)
    return head + START + "\n" + "\n".join(lines) + "\n" + END + rest.split(END, 1)[1]


def expected() -> dict[Path, str]:
    """Every generated file and the text it should hold."""
    files = {OUT / f"{name}.ipynb": to_ipynb(SOURCES / f"{name}.py") for name in NAMES}
    # The lab's student copy, as `chainrule lab build` writes it (no solutions, locked tests).
    files[LAB_STUDENT] = student_notebook()
    files[README] = with_links(README.read_text(encoding="utf-8"))
    return files


def stale() -> list[Path]:
    """The generated files that are missing or differ from what their sources make."""
    return [
        path
        for path, text in expected().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print("usage: python scripts/make_notebooks.py [--check]", file=sys.stderr)
        return 2
    if argv == ["--check"]:
        out_of_date = stale()
        for path in out_of_date:
            print(
                f"{path.relative_to(ROOT)} is out of date: run python scripts/make_notebooks.py",
                file=sys.stderr,
            )
        return 1 if out_of_date else 0
    OUT.mkdir(exist_ok=True)
    for path, text in expected().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

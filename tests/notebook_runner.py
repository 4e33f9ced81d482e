"""Execute a jupytext percent-format notebook with a real kernel and collect what it printed.

Shared by tests/test_notebooks.py and tests/test_lab.py. Needs jupytext, nbclient and
ipykernel (the ``test`` extra); the tests skip with that reason when they are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

#: A cell that takes longer than this is a bug (everything here runs in seconds).
CELL_TIMEOUT_S = 120


@dataclass
class Executed:
    """An executed notebook: its cells, and every cell's text output joined."""

    nb: object
    outputs: list[str]  # one string per code cell: stdout + text/plain results

    @property
    def text(self) -> str:
        return "\n".join(self.outputs)


def _cell_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def execute(source: Path | str, workdir: Path) -> Executed:
    """Run every cell of a notebook in ``workdir``: an .ipynb file, a percent-format .py, or its text."""
    jupytext = pytest.importorskip("jupytext", reason="add jupytext to the test extra")
    nbclient = pytest.importorskip("nbclient", reason="add nbclient to the test extra")
    pytest.importorskip("ipykernel", reason="add ipykernel to the test extra")
    if isinstance(source, Path) and source.suffix == ".ipynb":
        nb = jupytext.read(source)  # exactly what Colab and Jupyter open
    else:
        text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source
        nb = jupytext.reads(text, fmt="py:percent")
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    return Executed(nb, [_cell_text(c) for c in nb.cells if c.cell_type == "code"])

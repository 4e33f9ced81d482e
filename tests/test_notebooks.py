"""The course notebooks run end to end and show what the lecture and the practice promise.

Each notebook in ``notebooks/`` is a jupytext percent-format ``.py`` file (the ``.ipynb``
is generated); here it is executed with a real kernel, offline, and the key outputs are
checked, so a notebook can never silently go stale.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from notebook_runner import execute

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.py"))


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Execute each notebook once per test session (they are shared by several tests)."""
    cache = {}

    def run(name: str):
        if name not in cache:
            cache[name] = execute(NOTEBOOKS / name, tmp_path_factory.mktemp(Path(name).stem))
        return cache[name]

    return run


def test_the_notebooks_are_there():
    assert {p.name for p in SOURCES} >= {"lecture_demo.py", "practice.py"}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_source_is_a_percent_notebook_that_parses(source):
    text = source.read_text(encoding="utf-8")
    assert "format_name: percent" in text and "# %%" in text
    ast.parse(text)  # the source of truth is plain Python


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_notebook_runs(source, ran):
    executed = ran(source.name)
    assert executed.outputs  # it has code cells and they ran


def test_predict_cells_come_before_their_reveal():
    """Every "Predict" markdown cell is followed by a code cell (the reveal), never preceded."""
    jupytext = pytest.importorskip("jupytext")
    for source in SOURCES:
        cells = jupytext.read(source).cells
        predicts = [
            i for i, c in enumerate(cells) if c.cell_type == "markdown" and "**Predict" in c.source
        ]
        for i in predicts:
            assert i + 1 < len(cells) and cells[i + 1].cell_type == "code", (source.name, i)


# ------------------------------------------------------------------- the lecture's demo
def test_lecture_course_example_gradients(ran):
    text = ran("lecture_demo.py").text
    for line in ("L = 4", "dL/dw = 8", "dL/dx = 12", "dL/db = 4"):
        assert line in text


def test_lecture_second_backward_doubles_then_zero_grad_resets(ran):
    text = ran("lecture_demo.py").text
    assert "w.grad after the second backward: 16 (= 2 x 8)" in text
    assert "w.grad after zeroing and one more backward: 8" in text


def test_lecture_mlp_grad_before_after_backward_and_zero_grad(ran):
    text = ran("lecture_demo.py").text
    assert "before backward: None" in text
    assert re.search(
        r"after backward: grad shape \(16, 2\) \(= weight shape \(16, 2\)\), norm 0\.\d+[1-9]", text
    )
    assert "after zero_grad: None" in text
    assert "parameters: 82" in text


def test_lecture_hand_gradient_matches_autograd(ran):
    executed = ran("lecture_demo.py")
    assert "max |hand - autograd| = 0.0e+00" in executed.text
    assert "gradcheck passes: True" in executed.text
    assert "[[ 1.   1.5]\n [-0.2 -0.3]]" in executed.text  # the slide's δ xᵀ


def _outputs_of(executed, needle: str) -> list[dict]:
    """The display outputs of the code cell whose source contains ``needle``."""
    cells = [c for c in executed.nb.cells if c.cell_type == "code" and needle in c.source]
    assert len(cells) == 1, needle
    return [o for o in cells[0].get("outputs", []) if "data" in o]


def test_lecture_graph_and_trace(ran):
    executed = ran("lecture_demo.py")
    assert "Backward pass from L = 4" in executed.text
    assert "Leaf gradients: dL/dx = 12, dL/dw = 8, dL/db = 4" in executed.text
    assert "w.grad holds" not in executed.text  # explain after backward adds nothing
    (graph,) = _outputs_of(executed, "draw_graph(Ls)  #")
    assert "grad 8" in graph["data"]["image/svg+xml"] and "grad 16" not in str(graph)
    (tall,) = _outputs_of(executed, 'draw_graph(Ls, rankdir="TB")')
    assert "image/svg+xml" in tall["data"]


def test_lecture_notebook_needs_no_matplotlib_magic():
    assert "%matplotlib" not in (NOTEBOOKS / "lecture_demo.py").read_text(encoding="utf-8")


def test_demo_results_and_figures_display_inline(ran):
    """A fresh kernel, no %matplotlib: a DemoResult shows as HTML with its figure, a figure as PNG."""
    executed = ran("lecture_demo.py")
    (card,) = _outputs_of(executed, "grad_accumulation()")
    page = card["data"]["text/html"]
    assert (
        "HOLDS" in page
        and '<img alt="grad-accumulation figure" src="data:image/png;base64,' in page
    )
    assert card["data"]["text/plain"].startswith("<DemoResult grad-accumulation: HOLDS;")
    (figure,) = _outputs_of(executed, "softmax_ce_gradient().figure()")
    assert figure["data"]["image/png"]  # base64 PNG bytes
    for cell in executed.nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "<Figure size" in data.get("text/plain", "") or "<Figure size" in out.get(
                "text", ""
            ):
                assert "image/png" in data, "a figure showed only as text"


# ----------------------------------------------------------------------- the practice
def test_practice_trains_an_mlp_on_the_mnist_sample(ran):
    text = ran("practice.py").text
    assert "parameters: 50890 = 784·64 + 64 + 64·10 + 10 = 50890" in text
    accuracies = [float(a) for a in re.findall(r"test accuracy (\d+\.\d)%", text)]
    assert len(accuracies) == 2 and min(accuracies) > 80


def test_practice_double_softmax_pitfall(ran):
    m = re.search(
        r"double softmax: loss (\d\.\d+) -> (\d\.\d+) .*correct model: (\d\.\d+) -> (\d\.\d+)",
        ran("practice.py").text,
    )
    assert m
    bad_start, bad_end, good_start, good_end = map(float, m.groups())
    assert abs(bad_start - 2.303) < 0.05 and bad_end > 2 * good_end


def test_practice_grad_shapes_accumulation_and_zero_grad(ran):
    text = ran("practice.py").text
    assert "net.0.weight   weight (64, 784)  grad (64, 784)" in text
    assert "ratio after a second backward: [2. 2. 2. 2. 2. 2. 2. 2. 2. 2.]" in text
    assert "after zero_grad: None" in text


def test_practice_hand_gradient_matches_autograd(ran):
    text = ran("practice.py").text
    # the slides' 2-1-1 network: dL/dw1 ≈ −0.0311, dL/dw2 ≈ −0.2300
    assert "dL/dw1: hand -0.031058  autograd -0.031058" in text
    assert "dL/dw2: hand -0.229976  autograd -0.229976" in text
    assert "VERDICT: all sources agree." in text

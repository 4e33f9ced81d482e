"""The course notebooks run end to end, show what the lecture and the practice promise, and ship.

Each notebook in ``notebooks/`` is a jupytext percent-format ``.py`` file; its ``.ipynb`` form,
which Colab and Jupyter open, is generated into ``src/chainrule/notebooks/`` by
``scripts/make_notebooks.py`` and shipped in the wheel. Here the shipped ``.ipynb`` is executed
with a real kernel, fresh and offline (no ``%matplotlib``), and the key outputs are checked, so a
notebook can never silently go stale; a second check keeps the ``.ipynb`` in step with its source.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notebook_runner import execute

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SHIPPED = ROOT / "src" / "chainrule" / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.py"))
#: How long each notebook took to execute, printed at the end of the session (-s or -rA).
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Execute each shipped notebook once per test session (they are shared by several tests)."""
    cache = {}

    def run(name: str):
        if name not in cache:
            stem = Path(name).stem
            start = time.perf_counter()
            cache[name] = execute(SHIPPED / f"{stem}.ipynb", tmp_path_factory.mktemp(stem))
            TIMES[stem] = time.perf_counter() - start
            print(f"\n{stem}.ipynb executed in {TIMES[stem]:.1f} s")
        return cache[name]

    return run


def test_the_notebooks_are_there():
    assert {p.name for p in SOURCES} >= {"lecture_demo.py", "practice.py"}
    assert {p.stem for p in SHIPPED.glob("*.ipynb")} == {p.stem for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_source_is_a_percent_notebook_that_parses(source):
    text = source.read_text(encoding="utf-8")
    assert "format_name: percent" in text and "# %%" in text
    ast.parse(text)  # the source of truth is plain Python


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_notebook_runs(source, ran):
    executed = ran(source.name)
    assert executed.outputs  # it has code cells and they ran


# ------------------------------------------------------------ shipped .ipynb and Colab
def test_the_shipped_ipynb_are_in_sync_with_their_sources():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # Independently of the script: the same cells, in the same order, with the same code.
    jupytext = pytest.importorskip("jupytext")
    for source in SOURCES:
        want = jupytext.read(source).cells
        got = jupytext.read(SHIPPED / f"{source.stem}.ipynb").cells
        assert [(c.cell_type, c.source) for c in got] == [(c.cell_type, c.source) for c in want]
        assert all(not c.get("outputs") for c in got if c.cell_type == "code")


def test_the_sync_check_fails_on_a_stale_copy(tmp_path):
    """Copy the tree's inputs, edit a source, and the --check must name the stale .ipynb."""
    for part in ("scripts", "notebooks", "src/chainrule/notebooks"):
        (tmp_path / part).mkdir(parents=True)
        for f in (ROOT / part).glob("*.*"):
            (tmp_path / part / f.name).write_bytes(f.read_bytes())
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    source = tmp_path / "notebooks" / "practice.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# %%\nprint(1)\n", encoding="utf-8")
    script = tmp_path / "scripts" / "make_notebooks.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "src/chainrule/notebooks/practice.ipynb is out of date" in result.stderr
    assert "lecture_demo" not in result.stderr


def _install_cell(name: str) -> str:
    jupytext = pytest.importorskip("jupytext")
    cells = jupytext.read(SHIPPED / f"{name}.ipynb").cells
    return next(c for c in cells if c.cell_type == "code").source


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
@pytest.mark.parametrize("installed", [True, False], ids=["installed", "fresh-colab"])
def test_the_first_code_cell_installs_chainrule_only_where_it_is_missing(
    source, installed, monkeypatch, capsys
):
    """Run the install cell as IPython would: with chainrule importable, and without (Colab)."""
    import importlib.util

    from IPython.core.inputtransformer2 import TransformerManager

    cell = _install_cell(source.stem)
    assert "%pip install --quiet chainrule" in cell  # the notebook form has the real magic
    magics = []

    class Shell:
        def run_line_magic(self, name, line):
            magics.append((name, line))

    real = importlib.util.find_spec
    if not installed:
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *a: None if name == "chainrule" else real(name, *a),
        )
    code = TransformerManager().transform_cell(cell)
    exec(compile(code, "install cell", "exec"), {"get_ipython": Shell})
    said = capsys.readouterr().out
    if installed:
        assert magics == [] and "already installed: nothing to install" in said
    else:
        assert magics == [("pip", "install --quiet chainrule")]
        assert "installing it from PyPI" in said


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_the_install_cell_says_nothing_was_installed_here(source, ran):
    assert "is already installed: nothing to install." in ran(source.name).outputs[0]


def test_the_readme_opens_every_shipped_notebook_in_colab():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    links = config["tool"]["chainrule"]["notebooks"]
    # One place to change the repository: the Colab links follow the project's Repository URL.
    assert config["project"]["urls"]["Repository"] == f"https://github.com/{links['repository']}"
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for source in SOURCES:
        path = f"src/chainrule/notebooks/{source.stem}.ipynb"
        url = links["url"].format(repository=links["repository"], branch=links["branch"], path=path)
        assert (
            f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"
            in readme
        )
        assert (ROOT / path).exists()


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


def test_the_lecture_reveals_each_demo_after_a_prediction_prompt():
    """The lecture's sequence runs through chainrule.demos, each demo right after its Predict."""
    jupytext = pytest.importorskip("jupytext")
    from chainrule.demos import DEMOS

    demos = {d.run.__name__ for d in DEMOS.values()}
    cells = jupytext.read(NOTEBOOKS / "lecture_demo.py").cells
    revealed = []
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and _display_call(cell.source) in demos:
            revealed.append(_display_call(cell.source))
            before = cells[i - 1]
            assert before.cell_type == "markdown" and "**Predict" in before.source, cell.source
    # the lesson plan's live demo: accumulation, the forgotten zero_grad, a hand-checked gradient
    assert revealed[:4] == [
        "grad_accumulation",
        "zero_grad_bug",
        "backprop_by_hand",
        "gradient_check",
    ]


# ---------------------------------------------------------------- everything displays inline
#: The calls whose result a cell shows as a picture: every demo, graphs, traces, figures.
DISPLAYS = {"draw_graph", "explain", "figure", "plot_curves", "run_demo"}


def _display_call(source: str) -> str | None:
    """The name of the function a cell's last line calls to show its result, if it is one of ours."""
    from chainrule.demos import DEMOS

    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None  # the install cell's %pip
    if not body or not isinstance(body[-1], ast.Expr) or not isinstance(body[-1].value, ast.Call):
        return None
    func = body[-1].value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    demos = {d.run.__name__ for d in DEMOS.values()}
    return name if name in DISPLAYS | demos else None


def _is_picture(output: dict) -> bool:
    data = output.get("data", {})
    page = data.get("text/html", "")
    return bool(
        data.get("image/png")
        or data.get("image/svg+xml")
        or re.search(r'<img [^>]*src="data:image/(png|svg\+xml);base64,', page)
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_demo_graph_trace_and_figure_cell_shows_a_picture(source, ran):
    """A fresh kernel, no %matplotlib: each such cell's output holds a PNG or SVG image."""
    assert "%matplotlib" not in source.read_text(encoding="utf-8")
    executed = ran(source.name)
    shown = []
    for cell in executed.nb.cells:
        if cell.cell_type != "code" or (name := _display_call(cell.source)) is None:
            continue
        shown.append(name)
        pictures = [o for o in cell.get("outputs", []) if _is_picture(o)]
        assert pictures, f"{source.name}: the cell ending in {name}(...) showed no image"
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain", "") + out.get("text", "")
            assert "<Figure size" not in text, f"{source.name}: a figure showed only as text"
    expected = {
        "lecture_demo.py": {"draw_graph", "explain", "figure", "grad_accumulation", "xor"},
        "practice.py": {"plot_curves"},
    }[source.name]
    assert expected <= set(shown), shown


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


#: A fresh notebook of one display per cell, beyond what the course notebooks show: a tensor
#: graph and its trace, a demo by name and one of its other figures, a plot, a graph's figure.
FRESH_CELLS = [
    "import chainrule as torch\n"
    "from chainrule import draw_graph, explain, nn\n"
    "import chainrule.nn.functional as F\n"
    "torch.manual_seed(0)\n"
    "model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))\n"
    "loss = F.cross_entropy(model(torch.randn(5, 3)), torch.tensor([0, 1, 0, 1, 1]))",
    "draw_graph(loss, names=dict(model.named_parameters()))",
    "explain(loss)",
    "draw_graph(loss).figure()",
    'from chainrule.demos import run_demo\nresult = run_demo("vanishing-gradients", quick=True)\nresult',
    "result.figure()",
    "import numpy as np\n"
    "from chainrule.viz.plots import plot_confusion\n"
    'plot_confusion(np.array([[5, 1], [0, 4]]), ["cat", "dog"])',
]


def test_a_fresh_notebook_shows_tensor_graphs_traces_demos_and_plots_as_images(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in FRESH_CELLS])
    path = tmp_path / "fresh.ipynb"
    nbformat.write(nb, path)
    executed = execute(path, tmp_path)
    for cell in executed.nb.cells[1:]:
        outputs = cell.get("outputs", [])
        assert any(_is_picture(o) for o in outputs), f"no image from: {cell.source}"
    kinds = [sorted(o["data"]) for c in executed.nb.cells[1:] for o in c.outputs if "data" in o]
    assert ["image/svg+xml", "text/plain"] in kinds and ["image/png", "text/plain"] in kinds
    assert ["text/html", "text/plain"] in kinds  # the trace and the demo's card


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
def test_practice_trains_the_lecture_mlp_with_the_lecture_hyper_parameters(ran):
    text = ran("practice.py").text
    assert "parameters: 269322 = 256·784 + 256 + 256·256 + 256 + 10·256 + 10 = 269322" in text
    source = (NOTEBOOKS / "practice.py").read_text(encoding="utf-8")
    assert "optim.SGD(model.parameters(), lr=0.01, momentum=0.9)" in source
    assert "batch_size=64" in source and "for epoch in range(10):" in source


def test_practice_validates_every_epoch_and_tests_once(ran):
    text = ran("practice.py").text
    assert "train 3600 | validation 400 | test 1000 images" in text
    val = [float(a) for a in re.findall(r"validation loss \d\.\d+ acc (\d+\.\d)%", text)]
    assert len(val) == 10 and val[-1] > 85 and val[-1] > val[0]
    tests = re.findall(r"test accuracy (\d+\.\d)%", text)
    assert len(tests) == 1 and float(tests[0]) > 85  # the test set is used once, at the end


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
    assert "net.0.weight   weight (256, 784) grad (256, 784)" in text
    assert "ratio after a second backward: [2. 2. 2. 2. 2. 2. 2. 2. 2. 2.]" in text
    assert "after zero_grad: None" in text


def test_practice_hand_gradient_matches_autograd(ran):
    text = ran("practice.py").text
    # the slides' 2-1-1 network: dL/dw1 ≈ −0.0311, dL/dw2 ≈ −0.2300
    assert "dL/dw1: hand -0.031058  autograd -0.031058" in text
    assert "dL/dw2: hand -0.229976  autograd -0.229976" in text
    assert "VERDICT: all sources agree." in text

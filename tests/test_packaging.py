"""``pip install chainrule`` gets everything a course needs: the wheel's contents, size and metadata.

The wheel is built offline from a copy of the tree (``python -m build --no-isolation``, with the
installed setuptools), so the checkout gets no build/ or egg-info folder. It must carry the
package, the embedded MNIST sample, the lab's source and the shipped notebooks, and the metadata
a package index shows. Installed into a fresh virtual environment, with no checkout in sight,
its notebooks run.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The embedded MNIST sample is most of it; a wheel past this has picked up something it should not.
MAX_WHEEL_BYTES = 3_000_000


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("build", reason="add build to the test extra")
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, tree / name)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", tree / "src", ignore=junk)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(tree),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (built,) = out.glob("chainrule-*.whl")
    size = built.stat().st_size
    print(f"\n{built.name}: {size / 1e6:.2f} MB, {len(zipfile.ZipFile(built).namelist())} files")
    return built


def test_the_wheel_carries_the_package_the_data_the_lab_and_the_notebooks(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "chainrule/__init__.py",
        "chainrule/cli/__init__.py",
        "chainrule/data/mnist_sample.npz",
        "chainrule/data/README.md",
        "chainrule/lab/notebooks/mlp_lab.py",
        "chainrule/notebooks/lecture_demo.ipynb",
        "chainrule/notebooks/practice.ipynb",
        "chainrule/lab/notebooks/mlp_lab.ipynb",
        "chainrule-0.1.0.dist-info/licenses/LICENSE",
    ):
        assert needed in names, f"the wheel lacks {needed}"
    shipped = {p.name for p in (ROOT / "src" / "chainrule" / "notebooks").glob("*.ipynb")}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("chainrule/notebooks/")} == shipped
    # Nothing from outside the package but the command's launcher (it must run before
    # `import chainrule` to catch an early Ctrl-C), and no caches.
    outside = {"chainrule", "chainrule-0.1.0.dist-info", "chainrule_launcher.py"}
    assert not [n for n in names if n.split("/")[0] not in outside]
    assert "chainrule_launcher.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_is_small(wheel):
    assert wheel.stat().st_size < MAX_WHEEL_BYTES


def test_the_wheel_metadata_is_complete_for_publishing(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = email.message_from_bytes(z.read("chainrule-0.1.0.dist-info/METADATA"))
        entry_points = z.read("chainrule-0.1.0.dist-info/entry_points.txt").decode()
    assert meta["Name"] == "chainrule" and meta["License-Expression"] == "MIT"
    assert meta["License-File"] == "LICENSE"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().startswith("# chainrule")  # the README is the long description
    assert "backpropagation" in meta["Keywords"]
    classifiers = meta.get_all("Classifier")
    assert "Intended Audience :: Education" in classifiers
    assert "Framework :: Jupyter" in classifiers
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Repository", "Documentation", "Issues"} <= set(urls)
    assert "chainrule = chainrule_launcher:main" in entry_points


@pytest.mark.slow
def test_installed_into_a_fresh_venv_the_notebooks_run_without_the_checkout(wheel, tmp_path):
    """No repository on the path: the installed package finds and runs its own notebooks."""
    venv = tmp_path / "venv"
    # --system-site-packages: numpy, matplotlib and the notebook runners come from this machine
    # (offline); chainrule itself is the wheel, installed into the venv, which comes first.
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120
    )
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    install = [
        str(python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        str(wheel),
    ]
    subprocess.run(install, check=True, timeout=300, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # What a student is handed: `chainrule notebooks`, the installed command, no checkout.
    command = python.parent / ("chainrule.exe" if os.name == "nt" else "chainrule")
    handout = tmp_path / "handout"
    exported = subprocess.run(
        [str(command), "notebooks", "--out", str(handout)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in handout.iterdir()) == [
        "lecture_demo.ipynb", "mlp_lab.ipynb", "practice.ipynb",
    ]  # fmt: skip
    script = """
import json, pathlib, sys, time
import chainrule, nbclient, nbformat
assert "venv" in chainrule.__file__, chainrule.__file__
times = {}
for nb_file in sorted(pathlib.Path(sys.argv[1]).glob("*.ipynb")):
    nb = nbformat.reads(nb_file.read_text(encoding="utf-8"), as_version=4)
    # the kernel, too, must import the installed wheel (not a checkout, not another install)
    nb.cells.append(nbformat.v4.new_code_cell("import chainrule; print(chainrule.__file__)"))
    start = time.perf_counter()
    # The lab's student copy has exercises left to do: its cells may fail, and it must run on.
    lab = nb_file.name == "mlp_lab.ipynb"
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=lab).execute()
    times[nb_file.name] = round(time.perf_counter() - start, 1)
    install = next(c for c in nb.cells if c.cell_type == "code")
    assert "already installed" in "".join(install.outputs[0]["text"]), nb_file.name
    kernel_file = nb.cells[-1].outputs[0]["text"].strip()
    assert kernel_file == chainrule.__file__, (kernel_file, chainrule.__file__)
print(json.dumps({"file": chainrule.__file__, "times": times}))
"""
    result = subprocess.run(
        [str(python), "-c", script, str(handout)],
        cwd=tmp_path,  # not the checkout: nothing from the repository can be imported
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["file"].startswith(str(venv))
    assert set(report["times"]) == {"lecture_demo.ipynb", "mlp_lab.ipynb", "practice.ipynb"}
    print(f"\nexecuted from the installed wheel: {report['times']}")

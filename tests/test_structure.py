"""The package's layout holds: layers import downwards only, no module is shadowed, lint is clean.

These run the field's own tools (import-linter, ruff) on the source tree, so a change that
imports upwards, creates a cycle, or breaks the lint configuration fails the suite.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import chainrule
from chainrule import _moved

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "chainrule"
# The lab's jupytext source runs the whole lab when imported; it is data for `lab build`.
NOT_MODULES = {"chainrule.lab.notebooks.mlp_lab", "chainrule.lab.notebooks.conftest"}


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] == "__main__":
            continue  # running it is `python -m chainrule.cli`, tested in test_cli
        name = ".".join(parts)
        if name not in NOT_MODULES:
            names.append(name)
    return names


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it comes with the test extra)")
    return found


@pytest.mark.parametrize("name", _module_names())
def test_every_file_imports_as_the_module_of_its_name(name):
    module = importlib.import_module(name)
    assert isinstance(module, ModuleType)
    parent, _, leaf = name.rpartition(".")
    if parent:
        # `chainrule.tensor` used to be shadowed by the function of that name: the attribute
        # a parent package exposes under a submodule's name must be that submodule.
        assert getattr(importlib.import_module(parent), leaf) is module


def test_the_layer_contracts_hold():
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_layer_contract_catches_an_upward_import(tmp_path):
    # The contracts must be able to fail: plant `Tensor imports the CLI` in a copy of the
    # package and check that lint-imports reports exactly that layer as broken.
    shutil.copytree(PACKAGE, tmp_path / "chainrule", ignore=shutil.ignore_patterns("*.npz"))
    tensor = tmp_path / "chainrule" / "_tensor" / "tensor.py"
    tensor.write_text(tensor.read_text() + "\nimport chainrule.cli  # planted\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "chainrule._tensor.tensor -> chainrule.cli" in result.stdout


def test_ruff_lint_and_format_are_clean():
    paths = ["src", "tests", "benchmarks", "scripts"]
    lint = subprocess.run(
        [_tool("ruff"), "check", *paths], cwd=ROOT, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [_tool("ruff"), "format", "--check", *paths], cwd=ROOT, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize("old, new", sorted(_moved.MOVED.items()))
def test_old_module_paths_still_import_the_moved_module(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_importing_an_old_demo_path_leaves_the_demo_function_in_place():
    import chainrule  # noqa: PLC0415
    import chainrule.demos  # noqa: PLC0415

    importlib.import_module("chainrule.demos.xor")  # the old module path
    from chainrule.demos import xor  # noqa: PLC0415

    assert callable(xor) and not isinstance(xor, type(chainrule.demos))
    assert chainrule.demos.xor is xor
    importlib.import_module("chainrule.gradcheck")  # the same for the top-level package
    assert callable(chainrule.gradcheck)


def test_public_names_of_the_old_layout_are_still_there():
    for name in (
        "Tensor",
        "nn",
        "optim",
        "data",
        "manual",
        "compare_gradients",
        "explain",
        "draw_graph",
        "gradcheck",
        "tensor",
        "cat",
        "manual_seed",
    ):
        assert hasattr(chainrule, name), name
    from chainrule.compare import compare_gradients
    from chainrule.manual import Linear
    from chainrule.train import TrainConfig

    assert compare_gradients is chainrule.compare_gradients
    assert Linear is chainrule.manual.Linear
    assert TrainConfig.__module__ == "chainrule.training.loop"


def test_the_layout_doc_names_every_folder_and_top_level_module():
    text = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    for entry in sorted(PACKAGE.iterdir()):
        if entry.name.startswith("__") or entry.suffix in (".pyc", ".md"):
            continue
        if entry.is_dir() and not (entry / "__init__.py").exists():
            continue  # data folders, caches
        shown = entry.name + "/" if entry.is_dir() else entry.name
        assert shown in text, f"docs/layout.md does not mention {shown}"

"""``chainrule notebooks``: the three course notebooks handed out, never over a student's file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chainrule.lab.build import build_lab


def chainrule(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainrule.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_writes_the_lecture_practice_and_lab_notebooks_each_with_an_install_cell(tmp_path):
    out = chainrule("notebooks", "--out", str(tmp_path / "course"))
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in (tmp_path / "course").iterdir())
    assert names == ["lecture_demo.ipynb", "mlp_lab.ipynb", "practice.ipynb"]
    for name in names:
        nb = json.loads((tmp_path / "course" / name).read_text(encoding="utf-8"))
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        text = "".join(first["source"])
        assert "find_spec" in text and "pip" in text and "install" in text, name
    lab = (tmp_path / "course" / "mlp_lab.ipynb").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in lab and "BEGIN HIDDEN TESTS" not in lab  # the student copy


def test_the_handed_out_lab_is_the_student_copy_lab_build_writes(tmp_path):
    pytest.importorskip("jupytext")
    built = build_lab(tmp_path / "lab", formats=("ipynb",))
    assert chainrule("notebooks", "--out", str(tmp_path / "course")).returncode == 0
    assert (tmp_path / "course" / "mlp_lab.ipynb").read_bytes() == built["student"][0].read_bytes()


def test_a_file_already_there_is_never_replaced_without_force(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    work = course / "practice.ipynb"
    work.write_text("my answers", encoding="utf-8")
    out = chainrule("notebooks", "--out", str(course))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "practice.ipynb" in out.stderr
    assert work.read_text(encoding="utf-8") == "my answers"
    assert not (course / "lecture_demo.ipynb").exists()  # nothing written at all
    assert chainrule("notebooks", "--out", str(course), "--force").returncode == 0
    assert work.read_text(encoding="utf-8") != "my answers"


def test_a_file_in_place_of_the_folder_is_one_line(tmp_path):
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    out = chainrule("notebooks", "--out", str(tmp_path / "taken"))
    assert out.returncode == 1 and "is not a folder" in out.stderr
    assert chainrule("notebooks").returncode == 2  # --out is required: a usage error

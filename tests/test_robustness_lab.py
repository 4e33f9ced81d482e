"""``chainrule lab build`` never destroys a student's work: generated edits to a built lab folder.

Each case builds a lab, then changes some of its files the way a student (or an accident) would:
edits a cell, empties a file, replaces it with a folder, deletes it, or drops a file of the
student's own beside it. Building again must then refuse with exit status 1 and one line naming
an edited file, leaving every file byte for byte as it was; ``--force`` overwrites; a folder
nobody touched rebuilds silently.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.cli import main
from chainrule.lab.build import MANIFEST

FILES = ("student/mlp_lab.py", "solution/mlp_lab.py")


def run_cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file under ``folder`` by relative path (None for a folder)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def build(out: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("lab", "build", "--out", out, "--format", "py", *extra)


EDITS = {
    "append": lambda p, text: p.write_text(p.read_text(encoding="utf-8") + text, encoding="utf-8"),
    "replace": lambda p, text: p.write_text(text or "x = 1\n", encoding="utf-8"),
    "empty": lambda p, text: p.write_bytes(b""),
    "folder": lambda p, text: (p.unlink(), p.mkdir()),
}
edit_plans = st.dictionaries(
    st.sampled_from(FILES),
    st.tuples(st.sampled_from(sorted(EDITS)), st.text(min_size=1, max_size=40)),
    min_size=1,
)


@settings(max_examples=40, deadline=None)
@given(plan=edit_plans, lose_manifest=st.booleans())
def test_edited_files_are_never_overwritten(plan, lose_manifest):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lab"
        assert build(out)[0] == 0
        for relative, (how, text) in plan.items():
            EDITS[how](out / relative, text)
        if lose_manifest:  # without it, nothing existing is vouched for: still nothing lost
            (out / MANIFEST).unlink()
        before = snapshot(out)

        code, _, err = build(out)
        assert code == 1, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert any(str(out / relative) in err for relative in plan)
        assert snapshot(out) == before  # nothing was written, not even the untouched copy

        if all(how != "folder" for how, _ in plan.values()):
            assert build(out, "--force")[0] == 0
            assert build(out)[0] == 0  # forced files are recorded again: a plain rebuild works


@settings(max_examples=15, deadline=None)
@given(own_files=st.lists(st.sampled_from(["notes.md", "student/mine.py", "x.txt"]), unique=True))
def test_untouched_builds_rebuild_and_keep_other_files(own_files):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lab"
        assert build(out)[0] == 0
        for name in own_files:  # the student's own files are never touched
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text("mine\n")
        before = snapshot(out)
        code, stdout, err = build(out)
        assert code == 0 and err == ""
        assert snapshot(out) == before  # the same text again, the same bytes


def test_a_file_left_from_another_tool_is_refused(tmp_path):
    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "mlp_lab.py").write_text("# my answers\n")
    code, _, err = build(tmp_path)
    assert code == 1 and "was not written by chainrule lab build" in err and "--force" in err
    assert (tmp_path / "student" / "mlp_lab.py").read_text() == "# my answers\n"


def test_notebooks_are_protected_too(tmp_path):
    assert run_cli("lab", "build", "--out", tmp_path)[0] == 0
    notebook = tmp_path / "student" / "mlp_lab.ipynb"
    assert run_cli("lab", "build", "--out", tmp_path)[0] == 0  # unchanged: rebuilds
    notebook.write_text(notebook.read_text().replace("Your answer here", "my answer"))
    code, _, err = run_cli("lab", "build", "--out", tmp_path)
    assert code == 1 and str(notebook) in err and "was edited since" in err
    assert "my answer" in notebook.read_text()

"""The docs stay in step with the code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule.autograd.rules import RULES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_primitive_is_in_the_tensor_docs_rule_table():
    text = (DOCS / "tensor.md").read_text(encoding="utf-8")
    for name, rule in RULES.items():
        assert f"| `{name}` |" in text, f"docs/tensor.md does not list the rule {name!r}"
        for formula in rule.formula:
            assert formula in text, f"docs/tensor.md has an outdated VJP for {name!r}"


def test_readme_quickstart_has_exactly_two_commands():
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0] == "pip install -e . && chainrule train"  # works in a fresh checkout
    assert commands[1] == 'pip install -e ".[test]" && pytest -n auto'


def test_ci_runs_the_readme_test_command():
    ci = (DOCS.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[test]" && pytest -n auto' in ci


# ------------------------------------------------------ every snippet runs as printed
#: Marks a ```python block that is deliberately not run; the line right above the block.
NOT_RUN = re.compile(r"<!-- not run: [^>]+ -->\n```python\n")
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
PAGES = [
    DOCS.parent / "README.md",
    DOCS.parent / "notebooks" / "README.md",
    *sorted(DOCS.glob("*.md")),
]


def snippets(page: Path) -> list[tuple[int, str]]:
    """The ```python blocks of a Markdown page that are meant to run: (line number, code)."""
    text = page.read_text(encoding="utf-8")
    skipped = {m.end() - len("```python\n") for m in NOT_RUN.finditer(text)}
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(1))
        for m in BLOCK.finditer(text)
        if m.start() not in skipped
    ]


def test_only_a_few_snippets_are_marked_not_run():
    marked = {p.name: len(NOT_RUN.findall(p.read_text(encoding="utf-8"))) for p in PAGES}
    assert sum(marked.values()) <= 2, marked
    # Every ```python fence is either extracted and run, or marked: none slips past the regex.
    for p in PAGES:
        fences = p.read_text(encoding="utf-8").count("```python\n")
        assert len(snippets(p)) + marked[p.name] == fences, p.name
    assert sum(len(snippets(p)) for p in PAGES) >= 9


#: Runs one page's snippets in order in one namespace; each compiled under the page's name and
#: line, so a failure's traceback points at the snippet in the Markdown.
RUNNER = """
import json, sys
page, snippets = sys.argv[1], json.loads(sys.argv[2])
namespace = {"__name__": "__main__"}
for line, code in snippets:
    exec(compile("\\n" * line + code, page, "exec"), namespace)
"""


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS.parent)))
def test_every_python_snippet_runs_exactly_as_printed(page, tmp_path):
    """A page is read top to bottom by a fresh interpreter: its blocks in order, nothing added."""
    name = str(page.relative_to(DOCS.parent))
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, name, json.dumps(snippets(page))],
        cwd=tmp_path,  # snippets write files (graph.png, runs/, notebooks)
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{name}: a snippet failed\n{result.stderr[-3000:]}"
    expected = {
        "README.md": ["8.0 12.0 4.0", "Backward pass from L = 4", "loss after one epoch: "],
        "docs/tutorial.md": ["269322", "VERDICT: all sources agree.", "8.0", "[-0.2000, -0.3000]"],
        "docs/notebooks.md": ["copied lecture_demo.ipynb", "copied practice.ipynb"],
    }.get(name, [])
    for text in expected:
        assert text in result.stdout, f"{name}: the snippets did not print {text!r}"
    if name == "docs/tutorial.md":
        assert (tmp_path / "graph.png").exists()
    if name == "docs/notebooks.md":
        assert (tmp_path / "practice.ipynb").read_bytes() == (
            DOCS.parent / "src" / "chainrule" / "notebooks" / "practice.ipynb"
        ).read_bytes()


def test_the_notebook_copy_snippet_leaves_a_users_notebook_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "practice.ipynb").write_text("mine", encoding="utf-8")
    ((_, code),) = snippets(DOCS / "notebooks.md")
    exec(compile(code, "docs/notebooks.md", "exec"), {})
    assert (tmp_path / "practice.ipynb").read_text(encoding="utf-8") == "mine"
    assert "copied practice.ipynb" not in capsys.readouterr().out

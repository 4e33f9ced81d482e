"""The docs stay in step with the code."""

from __future__ import annotations

from pathlib import Path

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
    assert commands[1] == 'pip install -e ".[test]" && pytest'


def test_ci_runs_the_readme_test_command():
    ci = (DOCS.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[test]" && pytest' in ci


def test_tutorial_snippets_run(tmp_path, monkeypatch, capsys):
    import re

    monkeypatch.chdir(tmp_path)  # the snippets write graph.png
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    code = "import numpy as np\n" + "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))
    exec(compile(code, "docs/tutorial.md", "exec"), {})
    out = capsys.readouterr().out
    assert "269322" in out and "VERDICT: all sources agree." in out and "8.0" in out
    assert (tmp_path / "graph.png").exists()

"""The graded questions of a lab source: ids, points, visible tests and hidden tests.

A question starts at a markdown cell holding an HTML comment (invisible in Jupyter and
Colab, so it survives in the student copy and in whatever the student hands back):

    # <!-- question A2 points=4 -->            auto-graded by its tests
    # <!-- question C3 points=3 manual -->     free text, graded by hand from a review sheet

and runs until the next one. Its tests sit in a code cell whose first line is
``# TESTS A2``: each statement is one test, an expression that gives a checker's
``CheckResult`` (partial credit: the share of its findings that are right). Students see
and run the visible ones; the ones between ``# BEGIN HIDDEN TESTS`` and ``# END HIDDEN
TESTS`` are only in the grader bundle. This is nbgrader's idea (grade cells with ids and
points, locked test cells, hidden-test markers) written into the jupytext source.

>>> src = '''# %% [markdown]
... # <!-- question Q1 points=2 -->
... # %%
... # TESTS Q1
... check(f)
... # BEGIN HIDDEN TESTS
... check(f, seed=1)
... # END HIDDEN TESTS
... '''
>>> [(q.id, q.points, [t.hidden for t in q.tests]) for q in parse_questions(src)]
[('Q1', 2.0, [False, True])]
>>> print(strip_hidden_tests(src).splitlines()[-1])
check(f)
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field

QUESTION = re.compile(
    r"<!--\s*question\s+(?P<id>[A-Za-z][\w.-]*)\s+points=(?P<points>\d+(?:\.\d+)?)"
    r"(?P<manual>\s+manual)?\s*-->"
)
TESTS = re.compile(r"^# TESTS (?P<id>[A-Za-z][\w.-]*)\s*$")
_CELL = re.compile(r"^# %%(?P<rest>.*)$")
_BEGIN_HIDDEN = re.compile(r"^\s*# BEGIN HIDDEN TESTS\s*$")
_END_HIDDEN = re.compile(r"^\s*# END HIDDEN TESTS\s*$")


@dataclass(frozen=True)
class Test:
    """One test: the expression the grader evaluates, and whether students can see it."""

    code: str
    hidden: bool


@dataclass
class Question:
    """A graded question: its id, its points, manual or not, and its tests."""

    id: str
    points: float
    manual: bool = False
    tests: list[Test] = field(default_factory=list)


def question_of(text: str) -> tuple[str, float, bool] | None:
    """(id, points, manual) when a cell's text holds a question marker, else None."""
    m = QUESTION.search(text)
    return (m.group("id"), float(m.group("points")), bool(m.group("manual"))) if m else None


def cells_of(source: str) -> list[tuple[str, str]]:
    """Split a percent-format source into (cell type, text) pairs, the header dropped."""
    cells: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        m = _CELL.match(line)
        if m:
            kind = "markdown" if re.search(r"\[(markdown|md)\]", m.group("rest")) else "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in cells]


def _hidden_blocks(text: str, name: str) -> list[tuple[bool, str]]:
    """(hidden, line) for every line of a cell; unbalanced markers stop with the line."""
    out, hidden = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if _BEGIN_HIDDEN.match(line):
            if hidden:
                raise ValueError(f"{name}: BEGIN HIDDEN TESTS inside hidden tests (line {number})")
            hidden = True
        elif _END_HIDDEN.match(line):
            if not hidden:
                raise ValueError(f"{name}: END HIDDEN TESTS without a BEGIN (line {number})")
            hidden = False
        else:
            out.append((hidden, line))
    if hidden:
        raise ValueError(f"{name}: BEGIN HIDDEN TESTS is never closed")
    return out


def tests_of(cell_text: str, name: str = "lab source") -> list[Test]:
    """The tests of one ``# TESTS`` cell: one per top-level statement, hidden or not."""
    lines = _hidden_blocks(cell_text, name)
    tests = []
    for hidden in (False, True):
        code = "\n".join(line if h == hidden else "" for h, line in lines)
        try:
            tree = ast.parse(code)
        except SyntaxError as e:
            raise ValueError(f"{name}: a test does not parse: {e.msg} (line {e.lineno})") from None
        tests += [Test(ast.get_source_segment(code, node) or "", hidden) for node in tree.body]
    return tests


def parse_questions(source: str, name: str = "lab source") -> list[Question]:
    """Every question of a lab source, in order, with its tests (visible first)."""
    questions: dict[str, Question] = {}
    for kind, text in cells_of(source):
        marker = question_of(text) if kind == "markdown" else None
        if marker:
            qid, points, manual = marker
            if qid in questions:
                raise ValueError(f"{name}: question {qid} is defined twice")
            questions[qid] = Question(qid, points, manual)
        first = text.splitlines()[0] if kind == "code" and text else ""
        m = TESTS.match(first)
        if m:
            if m.group("id") not in questions:
                raise ValueError(f"{name}: '# TESTS {m.group('id')}' comes before its question")
            questions[m.group("id")].tests += tests_of(text, name)
    for q in questions.values():
        if not q.manual and not q.tests:
            raise ValueError(f"{name}: question {q.id} is auto-graded but has no tests")
    return list(questions.values())


def strip_hidden_tests(source: str) -> str:
    """The source with every hidden-test block (and its markers) removed."""
    out, hidden = [], False
    for line in source.splitlines():
        if _BEGIN_HIDDEN.match(line):
            hidden = True
        elif _END_HIDDEN.match(line):
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out) + "\n"


def checksum(text: str) -> str:
    """A locked cell's fingerprint: SHA-256 of its text, trailing spaces and blank ends ignored."""
    normal = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]

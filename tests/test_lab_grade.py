"""``chainrule lab grade`` on a class of realistic submissions, each with a planted fact.

The lab is built, then submissions are written from its solution copy: correct ones, one
per mistake the checkers name (transposed, sign, last example only, extra 1/B, db not
summed, missing 1/B, a wrong predicted sign, a prediction missing a factor), an empty
notebook, a syntax error, an infinite loop, a 10 GB allocation, a kernel crash, a read of
the hidden tests, a write outside, a network call, an edited test cell, a Colab-saved
notebook, a .py file and a duplicate. Grading must finish for all of them, and every score
and every diagnosis is asserted. The expected points are worked out here from the rule (a
test earns its share of the question times the share of its checker's findings that are
right), never read back from the grader.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.lab.questions import checksum, parse_questions

pytest.importorskip("jupytext", reason="building the .ipynb copies needs jupytext (test extra)")

#: Small limits, so the infinite loop and the whole class take seconds, not minutes.
CELL_TIMEOUT, SUBMISSION_TIMEOUT = 15, 120  # a loaded CI core is slow; a loop costs 15 s

AUTO = {"A1": 3.0, "A2": 4.0, "A3": 3.0, "B1": 2.0, "C1": 2.0}
FULL = dict(AUTO)


def _cells(nb: dict) -> list[dict]:
    return nb["cells"]


def _source(cell: dict) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _replace(nb: dict, starts: str, new: str) -> dict:
    """A copy of ``nb`` with the code cell that starts with ``starts`` replaced by ``new``."""
    nb = json.loads(json.dumps(nb))
    hits = [c for c in _cells(nb) if c["cell_type"] == "code" and _source(c).startswith(starts)]
    assert len(hits) == 1, starts
    hits[0]["source"] = new
    return nb


LINEAR = '''def linear_backward(X, W, delta):
    """Return (dW, db, dX) for Z = X @ W.T + b, given delta = dL/dZ."""
{body}
    return dW, db, dX
'''
CROSS_ENTROPY = """def cross_entropy(logits, labels):
    B = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(B), labels].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(B), labels] -= 1
{last}
    return loss, dlogits
"""
CORRECT_LINEAR = "    dW = delta.T @ X\n    db = delta.sum(axis=0)\n    dX = delta @ W"


def linear(body: str) -> str:
    return LINEAR.format(body=body)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    lab = root / "lab"
    assert main(["lab", "build", "--out", str(lab)]) == 0
    bundle = lab / "grader" / "lab-grader.json"
    solution = json.loads((lab / "solution" / "mlp_lab.ipynb").read_text(encoding="utf-8"))
    subs = root / "submissions"
    subs.mkdir()
    probe = "X_c, y_c = make_circles"  # the B2 probe trains four models: skipped to save time
    base = _replace(solution, probe, "# probe skipped")

    def write(name: str, nb: dict) -> None:
        (subs / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")

    write("correct", solution)
    write(
        "transposed",
        _replace(
            base,
            "def linear_backward",
            linear(
                "    dW = X.T @ delta  # the (in, out) layout\n    db = delta.sum(axis=0)\n    dX = delta @ W"
            ),
        ),
    )
    write("duplicate", json.loads((subs / "transposed.ipynb").read_text(encoding="utf-8")))
    write(
        "sign",
        _replace(
            base,
            "def linear_backward",
            linear("    dW = -(delta.T @ X)\n    db = delta.sum(axis=0)\n    dX = delta @ W"),
        ),
    )
    write(
        "overwrite",
        _replace(
            base,
            "def linear_backward",
            linear(
                "    for i in range(len(X)):\n        dW = np.outer(delta[i], X[i])  # = where += was meant\n"
                "    db = delta.sum(axis=0)\n    dX = delta @ W"
            ),
        ),
    )
    write(
        "averaged",
        _replace(
            base,
            "def linear_backward",
            linear(
                "    dW = delta.T @ X / len(X)\n    db = delta.mean(axis=0)\n    dX = delta @ W"
            ),
        ),
    )
    write(
        "unsummed_db",
        _replace(
            base,
            "def linear_backward",
            linear(
                "    dW = delta.T @ X\n    db = delta  # one row per example\n    dX = delta @ W"
            ),
        ),
    )
    write(
        "forgot_x",
        _replace(
            base,
            'my_sign, my_magnitude = "-", 0.14',
            (
                'my_sign, my_magnitude = "-", 0.046\ncheck_gradient_prediction("w1", my_sign, my_magnitude)'
            ),
        ),
    )
    write("no_mean", _replace(base, "def cross_entropy", CROSS_ENTROPY.format(last="    pass")))
    wrong_sign = _replace(
        base,
        'my_sign, my_magnitude = "-", 0.14',
        (
            'my_sign, my_magnitude = "+", 0.14\ncheck_gradient_prediction("w1", my_sign, my_magnitude)'
        ),
    )
    write("predicted_plus", wrong_sign)
    write("empty", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    write(
        "syntax",
        _replace(base, "def linear_backward", "def linear_backward(X, W, delta)\n    pass"),
    )
    write("loop", _replace(base, "def cross_entropy", "while True:\n    pass"))
    write(
        "huge",
        _replace(
            base,
            "def cross_entropy",
            (
                "big = np.ones(10 * 1024**3 // 8)  # 10 GB\n"
                + CROSS_ENTROPY.format(last="    dlogits /= B")
            ),
        ),
    )
    write("crash", _replace(base, "def sigmoid(z):", "import os\nos._exit(3)"))
    write(
        "peek",
        _replace(
            base,
            "def linear_backward",
            linear(CORRECT_LINEAR)
            + (f"\ntry:\n    hidden = open({str(bundle)!r}).read()\nexcept OSError:\n    pass\n"),
        ),
    )
    write(
        "escape",
        _replace(
            _replace(
                base,
                "def cross_entropy",
                (
                    CROSS_ENTROPY.format(last="    dlogits /= B")
                    + "\nimport socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
                    "except OSError:\n    pass\n"
                ),
            ),
            "cr.manual_seed(0)",
            (
                "cr.manual_seed(0)\nmodel = MLP()\nlosses = train(model, X_train, y_train)\n"
                f"open({str(root / 'outside.txt')!r}, 'w').write('x')\n"
            ),
        ),
    )
    edited = _replace(base, "# TESTS A2", "# TESTS A2\nTrue  # the check was in the way")
    write("edited_test", edited)
    # Colab: nbformat 4.0, its own metadata, an install cell with a shell line, a magic.
    colab = json.loads(json.dumps(base))
    colab["nbformat_minor"] = 0
    colab["metadata"] = {
        "colab": {"provenance": [], "name": "mlp_lab.ipynb"},
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
        "language_info": {"name": "python"},
    }
    for n, cell in enumerate(colab["cells"]):
        cell["metadata"] = {"id": f"cell{n}"}
        cell["source"] = _source(cell).splitlines(keepends=True)
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}]
            cell["execution_count"] = n
    install = {
        "cell_type": "code",
        "metadata": {"id": "install"},
        "execution_count": 1,
        "outputs": [],
        "source": ["!pip install chainrule\n", "%matplotlib inline\n"],
    }
    colab["cells"].insert(0, install)
    write("colab", colab)
    py = (lab / "solution" / "mlp_lab.py").read_text(encoding="utf-8")
    (subs / "script.py").write_text(
        py.replace("dlogits /= B  # the loss is a mean", "pass  # forgot the mean"),
        encoding="utf-8",
    )

    out = root / "graded"
    paths = sorted(str(p) for p in subs.iterdir())
    code = main(["lab", "grade", *paths, "--bundle", str(bundle), "--out", str(out),
                 "--cell-timeout", str(CELL_TIMEOUT), "--timeout", str(SUBMISSION_TIMEOUT),
                 "--jobs", "2"])  # fmt: skip
    assert code == 0
    data = {r["student"]: r for r in json.loads((out / "grading.json").read_text())}
    return {"out": out, "data": data, "lab": lab, "root": root, "bundle": bundle}


def points(graded, student: str) -> dict[str, float]:
    return {q["id"]: q["points"] for q in graded["data"][student]["questions"] if not q["manual"]}


def question(graded, student: str, qid: str) -> dict:
    return next(q for q in graded["data"][student]["questions"] if q["id"] == qid)


def reasons(graded, student: str, qid: str) -> str:
    q = question(graded, student, qid)
    return "\n".join(q["notes"] + [t["reason"] for t in q["tests"]])


def share(points: float, tests: int, fractions: list[float]) -> float:
    """The rule: each test is worth points/tests, times the share of its right findings."""
    return round(sum(points / tests * f for f in fractions), 2)


def test_every_submission_is_graded(graded):
    assert len(graded["data"]) == 20
    rows = list(csv.DictReader((graded["out"] / "grades.csv").open(encoding="utf-8")))
    assert [r["student"] for r in rows] == sorted(graded["data"])
    assert set(rows[0]) >= {"A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "total", "flags"}


def test_correct_submissions_get_every_automatic_point(graded):
    for student in ("correct", "colab", "edited_test"):
        assert points(graded, student) == FULL, student
    assert graded["data"]["correct"]["flags"] == []
    answer = question(graded, "correct", "C3")["answer"]
    assert "The output ŷ ≈ 0.31 is too high" in answer and "Your answer here" not in answer


def test_planted_linear_mistakes_cost_their_share_and_are_named(graded):
    # two function tests (dW, db, dX) and one layer test (forward, dW, db, dX)
    wrong_dW = share(4, 3, [2 / 3, 2 / 3, 3 / 4])
    for student, mistake in (("transposed", "transposed"), ("sign", "sign"),
                             ("overwrite", "last example only")):  # fmt: skip
        assert points(graded, student) == {**FULL, "A2": wrong_dW}, student
        tests = question(graded, student, "A2")["tests"]
        assert all(t["mistakes"] == {"dW": mistake} for t in tests), student
    averaged = share(4, 3, [1 / 3, 1 / 3, 2 / 4])  # dW and db wrong; the layer's forward right
    assert points(graded, "averaged") == {**FULL, "A2": averaged}
    assert all(
        t["mistakes"] == {"dW": "extra 1/B", "db": "extra 1/B"}
        for t in question(graded, "averaged", "A2")["tests"]
    )
    assert "divides by the batch size" in reasons(graded, "averaged", "A2")
    assert points(graded, "unsummed_db") == {**FULL, "A2": wrong_dW}
    assert question(graded, "unsummed_db", "A2")["tests"][0]["mistakes"] == {
        "db": "not summed over the batch"
    }
    text = reasons(graded, "transposed", "A2")
    assert "(3, 2)" in text and "(2, 3)" in text and "dW = delta.T @ X" in text
    assert "overwrote" in reasons(graded, "overwrite", "A2")


def test_a_missing_mean_and_a_wrong_prediction_are_diagnosed(graded):
    assert points(graded, "no_mean") == {**FULL, "A3": share(3, 1, [1 / 2])}
    assert question(graded, "no_mean", "A3")["tests"][0]["mistakes"] == {"dlogits": "missing 1/B"}
    assert points(graded, "script") == points(graded, "no_mean")  # the .py submission
    assert points(graded, "predicted_plus") == {**FULL, "B1": share(2, 1, [1 / 2])}
    assert points(graded, "forgot_x") == {**FULL, "B1": share(2, 1, [1 / 2])}
    assert "without x = 3" in reasons(graded, "forgot_x", "B1")
    text = reasons(graded, "predicted_plus", "B1")
    assert "you predicted '+'" in text and "-0.137" in text and "w₂ = -1" in text


def test_broken_submissions_cost_their_question_and_grading_goes_on(graded):
    assert points(graded, "empty") == dict.fromkeys(AUTO, 0.0)
    assert "empty submission" in " ".join(graded["data"]["empty"]["notes"])
    assert points(graded, "syntax") == {**FULL, "A2": 0.0}
    assert "SyntaxError" in reasons(graded, "syntax", "A2")
    assert points(graded, "loop") == {**FULL, "A3": 0.0}
    assert "infinite loop" in reasons(graded, "loop", "A3")
    assert points(graded, "huge") == {**FULL, "A3": 0.0}
    assert "MemoryError" in reasons(graded, "huge", "A3") and "memory limit" in reasons(
        graded, "huge", "A3"
    )
    assert points(graded, "crash") == {**FULL, "C1": 0.0}
    assert "exited with status 3" in reasons(graded, "crash", "C1")
    assert "kernel crashed" in reasons(graded, "crash", "C1")


def test_integrity_zero_for_the_question_and_flags(graded):
    assert points(graded, "peek") == {**FULL, "A2": 0.0}
    assert "tried to read the grader's files or another submission: open " in reasons(
        graded, "peek", "A2"
    )
    assert any("A2: tried to read the grader's files" in f for f in graded["data"]["peek"]["flags"])
    assert points(graded, "escape") == {**FULL, "A1": 0.0, "A3": 0.0}
    assert "tried to write outside its folder: open " in reasons(graded, "escape", "A1")
    assert "tried to open a network connection: socket." in reasons(graded, "escape", "A3")
    assert not (graded["root"] / "outside.txt").exists()
    assert graded["data"]["edited_test"]["flags"] == ["A2: the locked test cell was edited"]
    for a, b in (("transposed", "duplicate"), ("duplicate", "transposed")):
        assert f"identical to the submission of {b}" in graded["data"][a]["flags"]
    assert not any("identical" in f for f in graded["data"]["empty"]["flags"])


def test_outputs_gradescope_feedback_and_summary(graded):
    out = graded["out"]
    result = json.loads((out / "results" / "transposed.json").read_text())
    assert result["score"] == sum(points(graded, "transposed").values())
    assert {t["visibility"] for t in result["tests"]} == {"visible", "after_published"}
    assert all({"name", "score", "max_score", "output"} <= set(t) for t in result["tests"])
    md = (out / "feedback" / "transposed.md").read_text(encoding="utf-8")
    page = (out / "feedback" / "transposed.html").read_text(encoding="utf-8")
    assert "dW (transposed)" in md and "dW (transposed)" in page and "<html" not in md
    assert "import" not in page  # plain HTML: no script, nothing to install
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in summary and "dW: transposed" in summary
    assert (out / "summary.png").stat().st_size > 1000


def test_free_text_is_reviewed_and_entered_back(graded):
    out = graded["out"]
    sheet = out / "review" / "C3.csv"
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert {r["student"] for r in rows} == set(graded["data"])
    assert next(r for r in rows if r["student"] == "empty")["answer"] == "(no answer)"
    for r in rows:
        r["points"] = "3" if r["student"] == "correct" else "1"
        r["comment"] = "clear" if r["student"] == "correct" else ""
    with sheet.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["lab", "grade", "--import-review", "--out", str(out)]) == 0
    grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert float(grades["correct"]["C3"]) == 3 and float(grades["correct"]["total"]) == 14 + 3
    assert grades["correct"]["pending_review"] == "B2 C2"
    assert "reviewer: clear" in (out / "feedback" / "correct.md").read_text(encoding="utf-8")
    rows[0]["points"] = "7"  # over the maximum: one clear line, exit 1
    with sheet.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["lab", "grade", "--import-review", "--out", str(out)]) == 1


def test_student_copy_has_no_hidden_test_and_locked_cells_carry_checksums(graded):
    lab = graded["lab"]
    bundle = json.loads(graded["bundle"].read_text(encoding="utf-8"))
    hidden = [t["code"] for q in bundle["questions"] for t in q["tests"] if t["hidden"]]
    assert hidden and "MyLinear, seed=2" in " ".join(hidden)
    for copy in ("student/mlp_lab.py", "student/mlp_lab.ipynb", "solution/mlp_lab.py"):
        text = (lab / copy).read_text(encoding="utf-8")
        assert not any(h in text for h in hidden) and "HIDDEN TESTS" not in text, copy
    nb = json.loads((lab / "student" / "mlp_lab.ipynb").read_text(encoding="utf-8"))
    locked = [c for c in nb["cells"] if "nbgrader" in c["metadata"]]
    assert [c["metadata"]["chainrule"]["question"] for c in locked] == [
        "A1",
        "A2",
        "A3",
        "B1",
        "C1",
    ]
    for c in locked:
        assert c["metadata"]["nbgrader"]["locked"] and c["metadata"]["editable"] is False
        assert c["metadata"]["chainrule"]["checksum"] == checksum(_source(c))
    source = (Path(__file__).parents[1] / "src/chainrule/lab/notebooks/mlp_lab.py").read_text()
    assert {q.id: q.points for q in parse_questions(source)} == {
        "A1": 3, "A2": 4, "A3": 3, "B1": 2, "B2": 2, "C1": 2, "C2": 2, "C3": 3,
    }  # fmt: skip


def test_cli_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["lab", "grade", "--out", str(tmp_path / "o")]) == 2
    (tmp_path / "a.txt").write_text("x")
    assert main(["lab", "grade", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o")]) == 2
    (tmp_path / "a.ipynb").write_text("{}")
    assert main(["lab", "grade", str(tmp_path / "a.ipynb"), "--out", str(tmp_path / "o"),
                 "--bundle", str(tmp_path / "none.json")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(r"no such file", err)


MINI = """# %% [markdown]
# <!-- question R points=1 -->
# %%
import numpy as np
r = float(np.random.rand())
# %%
# TESTS R
check_value("r", r, 0.5488135039273248)
"""


def test_a_lab_of_ones_own_fixed_seeds_and_no_peeking_at_other_submissions(tmp_path):
    source = tmp_path / "mini.py"
    source.write_text(MINI.replace("r = float", "# BEGIN SOLUTION\nr = float").replace(
        "rand())\n", "rand())\n# END SOLUTION\n"
    ), encoding="utf-8")  # fmt: skip
    assert main(["lab", "build", "--out", str(tmp_path / "lab"), "--source", str(source),
                 "--format", "py"]) == 0  # fmt: skip
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "seeded.py").write_text(MINI, encoding="utf-8")  # the seed 0 draw, every time
    (subs / "nosy.py").write_text(MINI.replace(
        "r = float", f"import os\ntry:\n    os.listdir({str(subs)!r})\nexcept OSError:\n    pass\nr = float"
    ), encoding="utf-8")  # fmt: skip
    out = tmp_path / "out"
    assert main(["lab", "grade", str(subs / "seeded.py"), str(subs / "nosy.py"), "--out", str(out),
                 "--bundle", str(tmp_path / "lab/grader/lab-grader.json")]) == 0  # fmt: skip
    grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert grades["seeded"]["R"] == "1" and grades["nosy"]["R"] == "0"
    assert "another submission: os.listdir" in grades["nosy"]["flags"]
    assert (
        main(
            [
                "lab",
                "grade",
                str(subs / "seeded.py"),
                "--out",
                str(tmp_path / "lab"),
                "--bundle",
                str(tmp_path / "lab/grader/lab-grader.json"),
            ]
        )
        == 1
    )  # not a grading folder


def test_the_per_submission_time_limit_stops_a_slow_submission(tmp_path):
    source = tmp_path / "mini.py"
    source.write_text(
        MINI.replace("r = float", "# BEGIN SOLUTION\nr = float").replace(
            "rand())\n", "rand())\n# END SOLUTION\n"
        ),
        encoding="utf-8",
    )
    assert main(["lab", "build", "--out", str(tmp_path / "lab"), "--source", str(source),
                 "--format", "py"]) == 0  # fmt: skip
    slow = tmp_path / "slow.py"
    slow.write_text(
        "# %%\nimport time\ntime.sleep(2)\n# %%\ntime.sleep(2)\n" + MINI, encoding="utf-8"
    )
    out = tmp_path / "out"
    assert main(["lab", "grade", str(slow), "--out", str(out), "--timeout", "3",
                 "--bundle", str(tmp_path / "lab/grader/lab-grader.json")]) == 0  # fmt: skip
    (result,) = json.loads((out / "grading.json").read_text())
    assert result["questions"][0]["points"] == 0
    notes = " ".join(result["notes"] + [t["reason"] for t in result["questions"][0]["tests"]])
    assert "cell 2: interrupted after 1" in notes  # what was left of the 3 s
    assert "the submission's 3 s limit ran out" in notes and "infinite loop" not in notes
    assert "not run: the submission's time limit ran out" in notes  # so were the tests
    assert result["seconds"] < 15

"""What grading writes: the gradebook, each student's feedback, Gradescope files, the summary.

Into the output folder:

- ``grades.csv``: one row per student, a column per question, the total and the flags;
- ``feedback/<student>.md`` and ``.html``: every question's points and, per test, the
  checker's diagnosis (plain files: a student needs nothing installed to read them);
- ``results/<student>.json``: Gradescope's autograder ``results.json`` format;
- ``review/<question>.csv``: one sheet per free-text question (student, answer, points,
  comment); fill in the points and run ``chainrule lab grade --import-review OUT``;
- ``summary.html`` (with ``summary.png``): the score distribution and the most common
  mistakes per question;
- ``grading.json``: everything above as data, so a review can be imported later.

A review sheet already in the folder keeps the points and comments typed into it when
grading runs again.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections import Counter
from pathlib import Path

from chainrule._io import atomic_path
from chainrule.lab.grade import SubmissionResult, from_json, to_json

GRADING_FILE = "grading.json"
_REVIEW_FIELDS = ["student", "max_points", "points", "comment", "answer"]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _questions(results: list[SubmissionResult]) -> list[tuple[str, float, bool]]:
    first = results[0].questions if results else []
    return [(q.id, q.max_points, q.manual) for q in first]


def read_reviews(out: Path) -> dict[str, dict[str, tuple[float | None, str]]]:
    """Points and comments typed into the review sheets: question -> student -> (points, comment)."""
    reviews: dict[str, dict[str, tuple[float | None, str]]] = {}
    for sheet in sorted((out / "review").glob("*.csv")):
        if sheet.stat().st_size > 50 * 1024 * 1024:
            raise ValueError(f"{sheet}: too large to be a review sheet")
        with sheet.open(newline="", encoding="utf-8") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                raw = (row.get("points") or "").strip()
                try:
                    points = float(raw) if raw else None
                except ValueError:
                    raise ValueError(f"{sheet} line {n}: points {raw!r} is not a number") from None
                reviews.setdefault(sheet.stem, {})[row.get("student", "")] = (
                    points,
                    (row.get("comment") or "").strip(),
                )
    return reviews


def apply_reviews(results: list[SubmissionResult], reviews: dict) -> None:
    """Enter reviewed points into the manual questions (capped at each question's maximum)."""
    for r in results:
        for q in r.questions:
            points, comment = reviews.get(q.id, {}).get(r.student, (None, ""))
            if q.manual and points is not None:
                if not 0 <= points <= q.max_points:
                    raise ValueError(
                        f"review/{q.id}.csv: {r.student} has {points:g} points, "
                        f"outside 0..{q.max_points:g}"
                    )
                q.points, q.reviewed = points, True
                q.notes = [n for n in q.notes if not n.startswith("reviewer:")]
                if comment:
                    q.notes.append(f"reviewer: {comment}")


def write_reviews(out: Path, results: list[SubmissionResult]) -> None:
    """One sheet per free-text question, keeping whatever a reviewer already entered."""
    known = read_reviews(out) if (out / "review").is_dir() else {}
    for qid, max_points, manual in _questions(results):
        if not manual:
            continue
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_REVIEW_FIELDS)
        writer.writeheader()
        for r in results:
            q = next(q for q in r.questions if q.id == qid)
            points, comment = known.get(qid, {}).get(r.student, (None, ""))
            writer.writerow(
                {
                    "student": r.student,
                    "max_points": f"{max_points:g}",
                    "points": "" if points is None else f"{points:g}",
                    "comment": comment,
                    "answer": q.answer or "(no answer)",
                }
            )
        _write(out / "review" / f"{qid}.csv", buffer.getvalue())


def write_grades(out: Path, results: list[SubmissionResult]) -> None:
    questions = _questions(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["student", *[q for q, _, _ in questions], "total", "max", "pending_review", "flags"]
    )
    for r in results:
        pending = [q.id for q in r.questions if q.manual and not q.reviewed]
        writer.writerow(
            [
                r.student,
                *[f"{q.points:g}" for q in r.questions],
                f"{r.total:g}",
                f"{r.max_total:g}",
                " ".join(pending),
                "; ".join(r.flags),
            ]
        )
    _write(out / "grades.csv", buffer.getvalue())


def feedback_markdown(r: SubmissionResult) -> str:
    """A student's feedback as Markdown: the total, then each question with its reasons."""
    lines = [f"# Lab feedback: {r.student}", "", f"**Total: {r.total:g} / {r.max_total:g}**", ""]
    lines += [f"> {n}" for n in r.notes] + [f"> **Integrity:** {f}" for f in r.flags]
    for q in r.questions:
        state = "" if not q.manual or q.reviewed else " (free text: waiting for review)"
        lines += ["", f"## {q.id}: {q.points:g} / {q.max_points:g}{state}", ""]
        lines += [f"- {n}" for n in q.notes]
        for t in q.tests:
            lines.append(f"- {t.name}: {t.points:g} / {t.max_points:g}")
            lines += [f"    {line}" for line in t.reason.splitlines()]
        if q.manual:
            lines += [
                "",
                "Your answer:",
                "",
                *(f"> {a}" for a in (q.answer or "(none)").splitlines()),
            ]
    return "\n".join(lines) + "\n"


def feedback_html(r: SubmissionResult) -> str:
    """The same feedback as one self-contained HTML page."""
    e = html.escape
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>Lab feedback: {e(r.student)}</title>",
        "<body style='font-family: sans-serif; max-width: 60em; margin: auto'>",
        f"<h1>Lab feedback: {e(r.student)}</h1><p><b>Total: {r.total:g} / {r.max_total:g}</b></p>",
    ]
    parts += [f"<p>{e(n)}</p>" for n in r.notes]
    parts += [f"<p style='color:#b35900'><b>Integrity:</b> {e(f)}</p>" for f in r.flags]
    for q in r.questions:
        full = q.points >= q.max_points
        colour = "#1a7f37" if full else "#b35900"
        parts.append(
            f"<h2 style='color:{colour}'>{e(q.id)}: {q.points:g} / {q.max_points:g}</h2><ul>"
        )
        parts += [f"<li>{e(n)}</li>" for n in q.notes]
        for t in q.tests:
            parts.append(
                f"<li>{e(t.name)}: {t.points:g} / {t.max_points:g}<pre>{e(t.reason)}</pre></li>"
            )
        parts.append("</ul>")
        if q.manual:
            parts.append(f"<blockquote><pre>{e(q.answer or '(none)')}</pre></blockquote>")
    return "".join(parts) + "</body>\n"


def gradescope(r: SubmissionResult) -> dict:
    """Gradescope's results.json: a score, and one entry per test (manual questions too)."""
    tests = []
    for q in r.questions:
        if q.manual:
            tests.append(
                {
                    "name": f"{q.id} (free text)",
                    "score": q.points,
                    "max_score": q.max_points,
                    "output": "\n".join(q.notes)
                    or ("reviewed" if q.reviewed else "pending review"),
                    "visibility": "visible",
                }
            )
        for t in q.tests:
            tests.append(
                {
                    "name": f"{q.id} {t.name}",
                    "score": t.points,
                    "max_score": t.max_points,
                    "output": t.reason,
                    "visibility": "after_published" if t.hidden else "visible",
                }
            )
        if not q.manual and q.notes:
            tests.append(
                {
                    "name": f"{q.id} notes",
                    "score": 0,
                    "max_score": 0,
                    "output": "\n".join(q.notes),
                    "visibility": "visible",
                }
            )
    return {
        "score": r.total,
        "output": "\n".join(r.notes + [f"integrity: {f}" for f in r.flags]),
        "tests": tests,
    }


def _summary_png(results: list[SubmissionResult]) -> bytes:
    import matplotlib  # noqa: PLC0415 - plotting is optional and heavy

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    mistakes = _common_mistakes(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.8, 4.8), dpi=100)
    left.hist([r.total for r in results], bins=10, color="#4c72b0")
    left.set_title("total scores", fontsize=14)
    left.set_xlabel(f"points (of {results[0].max_total:g})" if results else "points", fontsize=12)
    left.set_ylabel("students", fontsize=12)
    top = [(f"{q}: {m}", n) for q, c in mistakes.items() for m, n in c.most_common(2)]
    top = sorted(top, key=lambda x: -x[1])[:10]
    right.barh([t for t, _ in top][::-1], [n for _, n in top][::-1], color="#dd8452")
    right.set_title("most common mistakes", fontsize=14)
    right.set_xlabel("submissions", fontsize=12)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.tick_params(labelsize=12)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _common_mistakes(results: list[SubmissionResult]) -> dict[str, Counter]:
    """Question -> Counter of 'quantity: mistake' over all submissions (one count each)."""
    out: dict[str, Counter] = {}
    for r in results:
        for q in r.questions:
            seen = {f"{k}: {v}" for t in q.tests for k, v in t.mistakes.items()}
            if any("crashed" in n or "infinite loop" in n for n in q.notes):
                seen.add("crash or timeout")
            out.setdefault(q.id, Counter()).update(seen)
    return out


def write_summary(out: Path, results: list[SubmissionResult]) -> None:
    png = _summary_png(results)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "summary.png") as tmp:
        tmp.write_bytes(png)
    e = html.escape
    rows = []
    for qid, max_points, manual in _questions(results):
        scores = [next(q.points for q in r.questions if q.id == qid) for r in results]
        mean = sum(scores) / len(scores) if scores else 0.0
        common = _common_mistakes(results).get(qid, Counter()).most_common(3)
        mistakes = ", ".join(f"{e(m)} ({n})" for m, n in common) or "-"
        rows.append(
            f"<tr><td>{e(qid)}{' (free text)' if manual else ''}</td><td>{mean:.2f} / "
            f"{max_points:g}</td><td>{mistakes}</td></tr>"
        )
    flagged = [f"<li>{e(r.student)}: {e(f)}</li>" for r in results for f in r.flags]
    page = (
        "<!doctype html><meta charset='utf-8'><title>Lab grading summary</title>"
        "<body style='font-family: sans-serif'>"
        f"<h1>Lab grading summary: {len(results)} submissions</h1>"
        f"<img alt='score distribution and common mistakes' style='max-width:100%' "
        f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        "<h2>Per question</h2><table border=1 cellpadding=4><tr><th>question</th>"
        "<th>mean</th><th>most common mistakes</th></tr>" + "".join(rows) + "</table>"
        "<h2>Integrity flags</h2><ul>" + ("".join(flagged) or "<li>none</li>") + "</ul></body>\n"
    )
    _write(out / "summary.html", page)


def write_all(out: Path, results: list[SubmissionResult]) -> None:
    """Every output of a grading run (reviews already typed in are entered first)."""
    out.mkdir(parents=True, exist_ok=True)
    if (out / "review").is_dir():
        apply_reviews(results, read_reviews(out))
    write_reviews(out, results)
    _write(out / GRADING_FILE, json.dumps(to_json(results), indent=1) + "\n")
    write_grades(out, results)
    for r in results:
        _write(out / "feedback" / f"{r.student}.md", feedback_markdown(r))
        _write(out / "feedback" / f"{r.student}.html", feedback_html(r))
        _write(out / "results" / f"{r.student}.json", json.dumps(gradescope(r), indent=1) + "\n")
    write_summary(out, results)


def import_review(out: Path) -> list[SubmissionResult]:
    """Enter the review sheets' points into a finished grading run and write everything again."""
    path = out / GRADING_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no grading run here to import a review into")
    results = from_json(json.loads(path.read_text(encoding="utf-8")))
    write_all(out, results)
    return results

"""Grade a class's lab submissions: each in its own fresh kernel, within limits, to the end.

``grade_all(submissions, bundle)`` runs every submission (``.ipynb``, Colab's included, or a
jupytext ``.py``) in a ``grading_kernel`` process of its own: a temporary working directory,
fixed seeds, rlimits on memory and CPU time, a per-cell and a per-submission timeout, and
no way (short of ``ctypes``) to read the grader bundle or another submission. Cells run in
order; a cell that fails, loops or crashes the kernel costs its own question, not the
notebook: an infinite loop is interrupted, a dead kernel is restarted and the cells that
had worked are run again. Then each question's tests (visible and hidden) run against what
the student's code left behind, and each test earns its share of the question's points
times the share of its checker's findings that are right, with the checker's diagnosis as
the reason. Free-text questions are collected for a review sheet (``grade_report``).

Submissions run in parallel, one per core.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chainrule.lab.questions import TESTS, checksum, question_of

#: A submission larger than this is refused unread (a notebook with its outputs is < 5 MB).
MAX_SUBMISSION_BYTES = 20 * 1024 * 1024

#: The names a test may call: the grader's own checkers, whatever the student redefined.
TRUSTED = (
    "check_linear_backward",
    "check_cross_entropy",
    "check_classifier",
    "check_value",
    "reveal_prediction",
    "toy_gradients",
    "engine_gradients",
)


@dataclass(frozen=True)
class Limits:
    """How much one submission may take. Defaults suit the shipped lab on a laptop core."""

    cell_timeout_s: float = 60.0
    submission_timeout_s: float = 300.0
    memory_mb: int = 2048  # address space: a 10 GB array fails with MemoryError
    seed: int = 0


@dataclass
class TestScore:
    """One test's outcome: points earned, the checker's verdict and why."""

    question: str
    name: str
    hidden: bool
    points: float
    max_points: float
    reason: str
    mistakes: dict[str, str] = field(default_factory=dict)


@dataclass
class QuestionScore:
    """One question: its points, its tests, notes (crash, timeout, integrity), free text."""

    id: str
    points: float
    max_points: float
    manual: bool
    tests: list[TestScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    answer: str = ""  # a manual question's free text
    reviewed: bool = False


@dataclass
class SubmissionResult:
    """Everything graded for one student."""

    student: str
    path: str
    questions: list[QuestionScore]
    notes: list[str] = field(default_factory=list)  # about the whole submission
    flags: list[str] = field(default_factory=list)  # integrity: edited tests, duplicates, ...
    fingerprint: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return round(sum(q.points for q in self.questions), 2)

    @property
    def max_total(self) -> float:
        return sum(q.max_points for q in self.questions)


# ---- reading a submission ------------------------------------------------------------------
def _uncomment(text: str) -> str:
    """A percent-format markdown cell's text without its '# ' prefixes."""
    return "\n".join(
        line[2:] if line.startswith("# ") else line.lstrip("#") for line in text.splitlines()
    )


def read_submission(path: Path) -> list[tuple[str, str]]:
    """A submission's cells as (type, text); Colab's extra metadata and outputs are ignored."""
    size = path.stat().st_size
    if size > MAX_SUBMISSION_BYTES:
        raise ValueError(f"{path.name}: {size} bytes, over the {MAX_SUBMISSION_BYTES} byte limit")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(text) if text.strip() else {"cells": []}
            cells = nb.get("cells", []) if isinstance(nb, dict) else None
            if not isinstance(cells, list):
                raise ValueError("no cell list")
        except ValueError as e:
            raise ValueError(f"{path.name}: not a notebook ({e})") from None
        out = []
        for cell in cells:
            if not isinstance(cell, dict):
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            out.append((str(cell.get("cell_type", "code")), source))
        return out
    from chainrule.lab.questions import cells_of  # noqa: PLC0415

    cells = cells_of(text)
    if not cells:  # a plain script: one cell
        return [("code", text)] if text.strip() else []
    return [(kind, _uncomment(t) if kind == "markdown" else t) for kind, t in cells]


def _fingerprint(cells: list[tuple[str, str]]) -> str:
    joined = "\n\x00".join(
        kind + "\n" + "\n".join(ln.rstrip() for ln in t.strip().splitlines()) for kind, t in cells
    )
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


# ---- the kernel ----------------------------------------------------------------------------
class KernelDied(Exception):
    """The kernel process ended (a crash, os._exit, a signal, the CPU limit)."""


class CellTimeout(Exception):
    """A cell did not finish in time even after an interrupt."""


class Zygote:
    """The warm process that forks the kernels (``grading_kernel.serve``), shared by all threads."""

    def __init__(self, cache: Path, seed: int) -> None:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        src = str(Path(__file__).resolve().parents[2])  # the folder holding chainrule
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(cache),
            "PYTHONPATH": src,
            "PYTHONHASHSEED": str(seed),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(cache),  # matplotlib's font cache, built once for all kernels
            "OMP_NUM_THREADS": "1",  # one core per kernel: the jobs are the parallelism
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chainrule.lab.grading_kernel", str(req_r), str(rep_w)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=cache,
            env=env,
            pass_fds=(req_r, rep_w),
        )
        os.close(req_r)
        os.close(rep_w)
        self.requests = os.fdopen(req_w, "w", encoding="utf-8")
        self.replies = os.fdopen(rep_r, "r", encoding="utf-8")
        self.lock = threading.Lock()
        if not self.replies.readline():  # "ready": its imports are done, before any clock starts
            raise RuntimeError("the grader's kernel launcher did not start")

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            try:
                self.requests.write(json.dumps(request) + "\n")
                self.requests.flush()
                line = self.replies.readline()
            except OSError:
                line = ""
        if not line:
            raise RuntimeError("the grader's kernel launcher died; run again")
        return json.loads(line)

    def close(self) -> None:
        with _suppress_lookup():
            self.requests.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with _suppress_lookup():
            self.replies.close()


class Kernel:
    """One kernel process, forked by the zygote, with its limits, its pipes and its folder."""

    def __init__(self, workdir: Path, protected: list[str], limits: Limits, zygote: Zygote) -> None:
        self.workdir, self.protected, self.limits, self.zygote = workdir, protected, limits, zygote
        self.pid: int | None = None

    def start(self) -> None:
        self.control = Path(tempfile.mkdtemp(prefix="chainrule-grade-pipes-"))
        commands, answers = self.control / "commands", self.control / "answers"
        os.mkfifo(commands, 0o600)
        os.mkfifo(answers, 0o600)
        config = {
            "commands": str(commands),
            "answers": str(answers),
            "workdir": str(self.workdir),
            "protected": [*self.protected, str(self.control)],
            "seed": self.limits.seed,
            "trusted": list(TRUSTED),
            "memory_mb": self.limits.memory_mb,
            "cpu_s": int(self.limits.submission_timeout_s) + 5,
        }
        self.pid = self.zygote.ask({"op": "spawn", "config": config})["pid"]
        # The kernel opens `answers` for writing, then `commands` for reading; once the second
        # open succeeds here, the first has happened, so EOF on `answers` means it is gone.
        self.answers = os.open(answers, os.O_RDONLY | os.O_NONBLOCK)
        give_up = time.monotonic() + 60
        while True:
            try:
                fd = os.open(commands, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                if time.monotonic() > give_up:
                    self.close()
                    raise KernelDied("the kernel did not start within 60 s") from None
                time.sleep(0.005)
        os.set_blocking(fd, True)
        self.commands = os.fdopen(fd, "w", encoding="utf-8")
        self.buffer = b""

    def _readline(self, deadline: float) -> bytes | None:
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.answers], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.answers, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise KernelDied(self._death())
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def _death(self) -> str:
        code = self._reap()
        if code < 0:
            name = signal.Signals(-code).name
            why = " (the CPU time limit)" if -code in (signal.SIGXCPU, signal.SIGKILL) else ""
            return f"the kernel died from {name}{why}"
        return f"the kernel exited with status {code}"

    def _reap(self) -> int:
        pid, self.pid = self.pid, None
        return self.zygote.ask({"op": "reap", "pid": pid})["status"] if pid else 0

    def run(self, op: str, code: str, timeout: float) -> dict[str, Any]:
        """Run one cell or test; a reply, or KernelDied / CellTimeout."""
        try:
            self.commands.write(json.dumps({"op": op, "code": code}) + "\n")
            self.commands.flush()
        except (BrokenPipeError, OSError):
            raise KernelDied(self._death()) from None
        line = self._readline(time.monotonic() + timeout)
        if line is None:  # too slow: interrupt, and give it a moment to say so
            with _suppress_lookup():
                os.killpg(self.pid, signal.SIGINT)
            line = self._readline(time.monotonic() + 2.0)
            if line is None:
                self.close()
                raise CellTimeout()
            reply = json.loads(line)
            reply["timed_out"] = True
            return reply
        return json.loads(line)

    def close(self) -> None:
        if self.pid is not None:
            with _suppress_lookup():
                os.killpg(self.pid, signal.SIGKILL)
            self._reap()
        for closing in (lambda: self.commands.close(), lambda: os.close(self.answers)):
            with _suppress_lookup():
                closing()
        if hasattr(self, "control"):
            shutil.rmtree(self.control, ignore_errors=True)


class _suppress_lookup:
    """Ignore the errors of cleaning up a process that is already gone."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], (OSError, ValueError, AttributeError))  # type: ignore[arg-type]


# ---- grading one submission ----------------------------------------------------------------
def _section_of(cells: list[tuple[str, str]]) -> list[str]:
    """The question each cell belongs to ('setup' before the first question marker)."""
    current, out = "setup", []
    for kind, text in cells:
        marker = question_of(text) if kind == "markdown" else None
        if marker:
            current = marker[0]
        out.append(current)
    return out


def _answer_text(
    cells: list[tuple[str, str]], sections: list[str], qid: str, baseline: set[str]
) -> str:
    """A free-text answer: the section's markdown lines that the student copy does not have."""
    lines = []
    for (kind, text), section in zip(cells, sections):
        if section == qid and kind == "markdown":
            for line in text.splitlines():
                s = line.strip()
                if s and s not in baseline and question_of(s) is None:
                    lines.append(line.rstrip())
    return "\n".join(lines).strip()


def _why_not_defined(error: str) -> str:
    if error.startswith("NameError"):
        return error + ": the cell that defines it failed or is missing"
    return error


def grade_submission(
    path: Path,
    bundle: dict[str, Any],
    limits: Limits,
    protected: list[str],
    zygote: Zygote,
) -> SubmissionResult:
    """Run one submission in a fresh kernel and score every question of the bundle."""
    start = time.monotonic()
    student = path.stem
    questions = {
        q["id"]: QuestionScore(q["id"], 0.0, float(q["points"]), bool(q["manual"]))
        for q in bundle["questions"]
    }
    result = SubmissionResult(student, str(path), list(questions.values()))
    try:
        cells = read_submission(path)
    except (OSError, ValueError) as e:
        result.notes.append(f"not graded: {e}")
        return result
    result.fingerprint = _fingerprint(cells)
    sections = _section_of(cells)
    baseline = {
        line.strip()
        for kind, text in bundle["student_cells"]
        if kind == "markdown"
        for line in _uncomment(text).splitlines()
    }
    if not any(text.strip() for _, text in cells):
        result.notes.append("empty submission: no cell holds anything")
    else:
        _integrity(cells, bundle, result)

    work = Path(tempfile.mkdtemp(prefix=f"chainrule-grade-{student}-"))
    kernel = Kernel(work, protected, limits, zygote)
    ok_cells: list[int] = []
    zeroed: dict[str, str] = {}

    def note_violations(where: str, reply: dict[str, Any]) -> None:
        for v in reply.get("violations", []):
            text = f"{v['kind']}: {v['what']}"
            zeroed.setdefault(where, text)
            result.flags.append(f"{where}: tried to {text}")

    def restart(skip: int | None) -> None:
        kernel.close()
        kernel.start()
        for j in ok_cells:  # what had worked, again, so later questions still have a chance
            if j != skip and time.monotonic() < deadline:
                try:
                    kernel.run("cell", cells[j][1], limits.cell_timeout_s)
                except (KernelDied, CellTimeout):
                    kernel.close()
                    kernel.start()

    try:
        kernel.start()
        deadline = time.monotonic() + limits.submission_timeout_s  # from a running kernel on
        for i, (kind, text) in enumerate(cells):
            if kind != "code" or not text.strip():
                continue
            where = sections[i]
            label = f"cell {i + 1}" + (f" ({where})" if where != "setup" else "")
            if time.monotonic() > deadline:
                result.notes.append(
                    f"{label} and later not run: the {limits.submission_timeout_s:g} s limit ran out"
                )
                break
            # a cell gets its own limit, or what is left of the submission's if that is less
            left = deadline - time.monotonic()
            budget = min(limits.cell_timeout_s, max(left, 1))
            why = (
                "an infinite loop?"
                if budget == limits.cell_timeout_s
                else f"the submission's {limits.submission_timeout_s:g} s limit ran out"
            )
            try:
                reply = kernel.run("cell", text, budget)
            except CellTimeout:
                _note(
                    questions,
                    result,
                    where,
                    f"{label}: still running after {budget:g} s, {why} The kernel was restarted.",
                )
                restart(i)
                continue
            except KernelDied as e:
                _note(
                    questions,
                    result,
                    where,
                    f"{label}: {e} (the kernel crashed); restarted, the cells before were run again.",
                )
                restart(i)
                continue
            note_violations(where, reply)
            if reply.get("timed_out"):
                _note(
                    questions,
                    result,
                    where,
                    f"{label}: interrupted after {budget:.3g} s, {why}",
                )
            elif reply["error"]:
                error = reply["error"]
                if error.startswith("MemoryError"):
                    error += f" (over the {limits.memory_mb} MB memory limit)"
                _note(questions, result, where, f"{label} failed: {error}")
            else:
                ok_cells.append(i)

        for q in bundle["questions"]:
            score = questions[q["id"]]
            if q["manual"]:
                score.answer = _answer_text(cells, sections, q["id"], baseline)
                continue
            share = float(q["points"]) / len(q["tests"])
            for n, test in enumerate(q["tests"], start=1):
                name = f"{'hidden' if test['hidden'] else 'visible'} test {n}"
                earned, reason, mistakes = 0.0, "", {}
                if time.monotonic() > deadline:
                    reason = "not run: the submission's time limit ran out"
                else:
                    try:
                        reply = kernel.run("test", test["code"], limits.cell_timeout_s)
                        note_violations(q["id"], reply)
                        if reply.get("timed_out") or reply["error"]:
                            reason = _why_not_defined(reply["error"] or "timed out")
                        else:
                            r = reply["result"]
                            earned = share * r["fraction"]
                            mistakes = r["mistakes"]
                            reason = (f"{r['title']}: " if r["title"] else "") + r["message"]
                    except CellTimeout:
                        reason = (
                            f"still running after {limits.cell_timeout_s:g} s: an infinite loop?"
                        )
                        restart(None)
                    except KernelDied as e:
                        reason = f"{e} while this test ran"
                        restart(None)
                score.tests.append(
                    TestScore(q["id"], name, test["hidden"], earned, share, reason, mistakes)
                )
            score.points = round(sum(t.points for t in score.tests), 2)
            for t in score.tests:  # rounded after the sum, so thirds add up to the whole
                t.points, t.max_points = round(t.points, 2), round(t.max_points, 2)
    finally:
        kernel.close()
        shutil.rmtree(work, ignore_errors=True)

    for qid, what in zeroed.items():
        if qid in questions:
            questions[qid].points = 0.0
            for t in questions[qid].tests:
                t.points = 0.0
            questions[qid].notes.append(f"zero for this question: the code tried to {what}")
        else:
            result.notes.append(f"before the first question, the code tried to {what}")
    result.seconds = round(time.monotonic() - start, 2)
    return result


def _note(
    questions: dict[str, QuestionScore], result: SubmissionResult, where: str, text: str
) -> None:
    (questions[where].notes if where in questions else result.notes).append(text)


def _integrity(
    cells: list[tuple[str, str]], bundle: dict[str, Any], result: SubmissionResult
) -> None:
    """Flag a locked test cell that was edited or removed."""
    seen: dict[str, str] = {}
    for kind, text in cells:
        m = TESTS.match(text.splitlines()[0]) if kind == "code" and text.strip() else None
        if m:
            seen[m.group("id")] = checksum(text)
    for qid, expected in bundle["locked"].items():
        if qid not in seen:
            result.flags.append(f"{qid}: the locked test cell was removed")
        elif seen[qid] != expected:
            result.flags.append(f"{qid}: the locked test cell was edited")


# ---- grading a class -----------------------------------------------------------------------
def load_bundle(path: Path) -> dict[str, Any]:
    """Read a grader bundle written by ``chainrule lab build`` (bounded, checked)."""
    from chainrule.lab.build import GRADER_FORMAT  # noqa: PLC0415 - build imports this module's peers

    if path.stat().st_size > MAX_SUBMISSION_BYTES:
        raise ValueError(f"{path}: too large to be a grader bundle")
    bundle = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(bundle, dict) or bundle.get("format") != GRADER_FORMAT:
        raise ValueError(f"{path}: not a chainrule lab grader bundle ({GRADER_FORMAT})")
    return bundle


def grade_all(
    submissions: list[Path],
    bundle_path: Path,
    limits: Limits = Limits(),
    jobs: int | None = None,
    protected: list[str] | None = None,
) -> list[SubmissionResult]:
    """Grade every submission, up to ``jobs`` at a time (default: the machine's cores)."""
    bundle = load_bundle(bundle_path)
    guard = [str(bundle_path.resolve().parent)] + [str(p.resolve().parent) for p in submissions]
    guard += protected or []
    jobs = jobs or os.cpu_count() or 1
    cache = Path(tempfile.mkdtemp(prefix="chainrule-grade-cache-"))
    zygote = Zygote(cache, limits.seed)
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(
                pool.map(
                    lambda p: grade_submission(p, bundle, limits, sorted(set(guard)), zygote),
                    submissions,
                )
            )
    finally:
        zygote.close()
        shutil.rmtree(cache, ignore_errors=True)
    blank = _fingerprint(
        [(k, _uncomment(t) if k == "markdown" else t) for k, t in bundle["student_cells"]]
    )
    groups: dict[str, list[SubmissionResult]] = {}
    for r in results:
        if r.fingerprint and r.fingerprint != blank and any(q.points for q in r.questions):
            groups.setdefault(r.fingerprint, []).append(r)
    for same in groups.values():
        if len(same) > 1:
            for r in same:
                others = ", ".join(o.student for o in same if o is not r)
                r.flags.append(f"identical to the submission of {others}")
    return results


def to_json(results: list[SubmissionResult]) -> list[dict[str, Any]]:
    """Plain data, for grading.json."""
    return [asdict(r) for r in results]


def from_json(data: list[dict[str, Any]]) -> list[SubmissionResult]:
    """Back from grading.json."""
    out = []
    for r in data:
        questions = [
            QuestionScore(**{**q, "tests": [TestScore(**t) for t in q["tests"]]})
            for q in r["questions"]
        ]
        out.append(SubmissionResult(**{**r, "questions": questions}))
    return out

"""Grade a generated class: how long ``chainrule lab grade`` takes for 100 lab submissions.

    python benchmarks/bench_lab_grade.py                    # 100 submissions, one job per core
    python benchmarks/bench_lab_grade.py --submissions 4    # a smoke run

The lab is built into a temporary folder, then ``--submissions`` notebooks are generated
from its solution copy, each with one of the mistakes the checkers name (or none) drawn
with a fixed seed, the B2 probe (four trainings) left in as a student would. Every one is
graded as ``chainrule lab grade`` grades: its own kernel process, rlimits, the per-cell and
per-submission timeouts. The goal is 100 submissions in under 5 minutes on 2 cores; the
script prints the measured time beside that budget, and the per-submission time. Measured
on 2 cores: 100 submissions in 45 s (0.86 s of kernel CPU time each), a ratio of 0.15; with
the 2 cores shared at load average 14, 204 s (ratio 0.68).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from chainrule.lab.build import GRADER_FILE, build_lab
from chainrule.lab.grade import Limits, grade_all

BUDGET_S_PER_100 = 300.0

LINEAR = {
    "correct": "dW = delta.T @ X\n    db = delta.sum(axis=0)\n    dX = delta @ W",
    "transposed": "dW = X.T @ delta\n    db = delta.sum(axis=0)\n    dX = delta @ W",
    "sign": "dW = -(delta.T @ X)\n    db = delta.sum(axis=0)\n    dX = delta @ W",
    "mean": "dW = delta.T @ X / len(X)\n    db = delta.mean(axis=0)\n    dX = delta @ W",
}


def submission(solution: dict, rng: random.Random) -> dict:
    """The solution notebook with one drawn mistake in the hand-written linear backward."""
    nb = json.loads(json.dumps(solution))
    kind = rng.choice(sorted(LINEAR))
    for cell in nb["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and text.startswith("def linear_backward"):
            cell["source"] = (
                "def linear_backward(X, W, delta):\n    "
                + LINEAR[kind]
                + "\n    return dW, db, dX\n"
            )
        if cell["cell_type"] == "code" and text.startswith("my_sign, my_magnitude"):
            sign = rng.choice(['"-"', '"+"'])
            cell["source"] = text.replace('"-"', sign, 1)
    return nb


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None, help="default: the machine's cores")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_lab(root / "lab")
        solution = json.loads((root / "lab/solution/mlp_lab.ipynb").read_text(encoding="utf-8"))
        subs = root / "submissions"
        subs.mkdir()
        rng = random.Random(0)
        paths = []
        for i in range(args.submissions):
            path = subs / f"student{i:03d}.ipynb"
            path.write_text(json.dumps(submission(solution, rng)), encoding="utf-8")
            paths.append(path)
        start, cpu0 = time.perf_counter(), _children_cpu()
        results = grade_all(paths, root / "lab/grader" / GRADER_FILE, Limits(), jobs=args.jobs)
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu0
    failed = [r.student for r in results if r.notes]
    per = seconds / len(results)
    scaled = per * 100
    print(f"graded {len(results)} submissions in {seconds:.1f} s on {cores} cores "
          f"({args.jobs or cores} at a time): {per:.2f} s per submission")  # fmt: skip
    print(f"for 100 submissions: {scaled:.0f} s against the {BUDGET_S_PER_100:.0f} s budget "
          f"(ratio {scaled / BUDGET_S_PER_100:.2f}, below 1 meets it)")  # fmt: skip
    # Wall time depends on who else uses the cores; the kernels' CPU time does not.
    idle = cpu / len(results) * 100 / cores
    print(f"kernels' CPU time {cpu:.1f} s ({cpu / len(results):.2f} s per submission): on "
          f"{cores} idle cores, 100 submissions take about {idle:.0f} s "
          f"(ratio {idle / BUDGET_S_PER_100:.2f})")  # fmt: skip
    totals = sorted(r.total for r in results)
    print(f"automatic scores: min {totals[0]:g}, median {totals[len(totals) // 2]:g}, "
          f"max {totals[-1]:g} (of {results[0].max_total:g}, free text not yet reviewed)")  # fmt: skip
    print(f"mean kernel time per submission {sum(r.seconds for r in results) / len(results):.2f} s; "
          f"submissions with notes: {len(failed)}")  # fmt: skip
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())

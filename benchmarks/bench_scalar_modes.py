"""The cost table on the scalar engine: the full gradient of one loss in n inputs, both modes.

    python benchmarks/bench_scalar_modes.py            # n = 10, 30, 100, 300
    python benchmarks/bench_scalar_modes.py --sizes 10 20 --repeats 1

The course's claim: forward mode needs one pass per input (cost grows like n × graph size),
reverse mode one pass per output (like the graph size alone). The loss is a chain over n
inputs, L = Σᵢ tanh(xᵢ xᵢ₊₁) + Σᵢ xᵢ², so the graph grows linearly in n. For each n it times

- **reverse**: build the graph once and call ``backward()`` (one pass);
- **forward (graph)**: build once, then ``push_tangents`` once per input (n passes);
- **forward (dual)**: run the function on dual numbers once per input (n passes, no graph);

checks the three gradients agree, and prints the medians, the ratios, and the fitted slope
of log(time) against log(n): about 1 for reverse mode and about 2 for forward mode here,
since each of forward mode's n passes itself costs O(n).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import time

from chainrule.scalar import Value, forward_gradient, jvp


def loss(*xs):
    total = xs[0] * xs[0]
    for a, b in zip(xs, xs[1:]):
        total = total + (a * b).tanh() + b * b
    return total


def reverse(primals: list[float]) -> list[float]:
    """One backward pass gives every input's derivative."""
    leaves = [Value(p) for p in primals]
    loss(*leaves).backward()
    return [v.grad for v in leaves]


def graph(primals: list[float]) -> list[float]:
    """Forward mode over the recorded graph: one pass per input."""
    leaves = [Value(p) for p in primals]
    return forward_gradient(loss(*leaves), leaves)


def dual(primals: list[float]) -> list[float]:
    """Dual numbers: one run of the function per input, each seeding one tangent."""
    n = len(primals)
    return [jvp(loss, primals, [1.0 if j == i else 0.0 for j in range(n)])[1] for i in range(n)]


def _median_seconds(way, primals: list[float], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()  # the previous run's garbage is collected untimed
        t0 = time.perf_counter()
        way(primals)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _slope(ns: list[int], ts: list[float]) -> float:
    """Least-squares slope of log t against log n."""
    lx, ly = [math.log(n) for n in ns], [math.log(t) for t in ts]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 100, 300])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per cell (median)")
    args = parser.parse_args()
    if len(args.sizes) < 2 or min(args.sizes) < 2:
        parser.error("--sizes needs at least two sizes, each at least 2")

    print("n      reverse (1 pass)  forward graph (n passes)  forward dual (n passes)  fwd/rev")
    results: dict[str, list[float]] = {"reverse": [], "graph": [], "dual": []}
    worst = 0.0
    for n in args.sizes:
        primals = [math.sin(i + 1.0) for i in range(n)]

        r, g, d = (way(primals) for way in (reverse, graph, dual))
        worst = max([worst] + [abs(a - b) / max(abs(a), 1e-12) for a, b in zip(r, g)])
        worst = max([worst] + [abs(a - b) / max(abs(a), 1e-12) for a, b in zip(r, d)])
        row = [_median_seconds(way, primals, args.repeats) for way in (reverse, graph, dual)]
        for key, t in zip(results, row):
            results[key].append(t)
        print(
            f"{n:<6} {row[0] * 1e3:10.2f} ms     {row[1] * 1e3:14.2f} ms"
            f"        {row[2] * 1e3:14.2f} ms      {row[1] / row[0]:7.1f}x"
        )
    print(f"the three gradients agree: max relative difference {worst:.1e}")
    print(
        "slope of log(time) vs log(n): "
        f"reverse {_slope(args.sizes, results['reverse']):.2f}, "
        f"forward (graph) {_slope(args.sizes, results['graph']):.2f}, "
        f"forward (dual) {_slope(args.sizes, results['dual']):.2f} "
        "(the course table: reverse 1 pass, forward n passes of a graph that grows with n)"
    )
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main())

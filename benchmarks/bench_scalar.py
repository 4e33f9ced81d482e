"""Scalar engine speed: chainrule.scalar vs micrograd 0.1.0 on micrograd's own demo.

    pip install -e . micrograd==0.1.0 && python benchmarks/bench_scalar.py

The workload is micrograd's demo (2-16-16-1 MLP, 100 two-moons points, hinge loss
plus L2, full-batch SGD), driven by the same function for both engines
(``chainrule.demos.scalar_moons.moons_step``). Each training step is timed on its own,
the two engines alternate step by step (and swap who goes first), and the medians
are compared, so drift in machine load hits both alike. Both runs start from the
same weights and must produce the same losses, which shows the work is identical.
Garbage from the previous step is collected before each timed step.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time

from chainrule.demos.scalar_moons import make_moons, moons_step
from chainrule.scalar import MLP, Value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, default=30, help="training steps per engine (default 30)"
    )
    args = parser.parse_args()
    try:
        import micrograd.engine as mg_engine
        import micrograd.nn as mg_nn
    except ImportError:
        print("micrograd is not installed: pip install micrograd==0.1.0", file=sys.stderr)
        return 2

    X, y = make_moons(100, noise=0.1, seed=1337)
    engines = {}
    for name, value_cls, mlp in [
        ("chainrule", Value, MLP),  # default: one node per neuron's weighted sum
        ("chainrule (unfused)", Value, lambda *a: MLP(*a, fused=False)),  # micrograd's graph shape
        ("micrograd", mg_engine.Value, mg_nn.MLP),
    ]:
        random.seed(1337)  # identical initial weights for every engine
        engines[name] = (value_cls, mlp(2, [16, 16, 1]))

    times: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, list[float]] = {name: [] for name in engines}
    names = list(engines)
    for k in range(args.steps):
        for name in names[k % len(names) :] + names[: k % len(names)]:  # rotate who goes first
            value_cls, model = engines[name]
            # Collect the previous step's garbage untimed: micrograd's closures form
            # reference cycles, and a collection they trigger must not land inside
            # the other engine's timed step.
            gc.collect()
            t0 = time.perf_counter()
            loss, _ = moons_step(value_cls, model, X, y, k, 100)
            times[name].append(time.perf_counter() - t0)
            losses[name].append(float(loss))

    reference = losses["micrograd"]
    worst = max(
        abs(a - b) / max(abs(b), 1e-12) for name in names for a, b in zip(losses[name], reference)
    )
    med = {name: statistics.median(t) for name, t in times.items()}
    print(
        f"workload: micrograd demo, 2-16-16-1 MLP, 100 points, {args.steps} steps per engine, interleaved"
    )
    print(f"same losses on all engines: max relative difference {worst:.1e}")
    for name in names:
        print(f"{name:>20}: median {med[name] * 1e3:8.2f} ms per training step")
    for name in names[:-1]:
        print(
            f"speed-up of {name} over micrograd (median ratio): {med['micrograd'] / med[name]:.2f}x"
        )
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())

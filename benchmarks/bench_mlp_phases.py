"""Where bench_mlp's training step spends its time: chainrule vs the NumPy floor, phase by phase.

    python benchmarks/bench_mlp_phases.py              # batch 64, one thread
    python benchmarks/bench_mlp_phases.py --threads 2

Both trainers come from ``bench_mlp.py`` (same model, weights and batches) and run in this one
process, alternating step by step, so a change in machine load hits both alike. Each step is
split into forward, loss, backward (with ``zero_grad``) and optimizer step; for each phase the
fastest of ``--blocks`` blocks (mean over the block's steps) is kept, which filters out the
other work on a busy machine. The last line is the fixed Python cost of one step: the same loop
on a 8-8-8-4 MLP at batch 4, where the arithmetic costs next to nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_mlp  # noqa: E402 - the trainers being compared

PHASES = ("forward", "loss", "backward", "step")


def chainrule_phases(trainer: bench_mlp.ChainruleMLP, x: np.ndarray, y: np.ndarray) -> list[float]:
    """One training step of chainrule's lecture loop, timed phase by phase (seconds)."""
    cr, clock = trainer.chainrule, time.perf_counter
    t0 = clock()
    logits = trainer.model(cr.as_tensor(x))
    t1 = clock()
    loss = trainer.F.cross_entropy(logits, cr.as_tensor(y))
    t2 = clock()
    trainer.opt.zero_grad()
    loss.backward()
    t3 = clock()
    trainer.opt.step()
    t4 = clock()
    return [t1 - t0, t2 - t1, t3 - t2, t4 - t3]


def floor_phases(trainer: bench_mlp.NumpyMLP, x: np.ndarray, y: np.ndarray) -> list[float]:
    """One step of the hand-written floor, timed phase by phase (seconds)."""
    clock = time.perf_counter
    t0 = clock()
    logits = trainer.forward(x)
    t1 = clock()
    d3 = trainer.loss_and_delta(logits, y)
    t2 = clock()
    grads = trainer.backward(x, d3)
    t3 = clock()
    trainer.update(grads)
    t4 = clock()
    return [t1 - t0, t2 - t1, t3 - t2, t4 - t3]


def measure(
    batches: list[tuple[np.ndarray, np.ndarray]], blocks: int, make_chainrule: object = None
) -> dict[str, np.ndarray]:
    """Per-phase microseconds per step, best block of each, for both trainers."""
    weights = bench_mlp.initial_weights()
    trainers = {
        "chainrule": (make_chainrule or bench_mlp.ChainruleMLP)(weights),
        "numpy": bench_mlp.NumpyMLP(weights),
    }
    timers = {"chainrule": chainrule_phases, "numpy": floor_phases}
    for trainer in trainers.values():
        bench_mlp.epoch(trainer, batches[:10])  # warm-up
    best = {name: np.full(len(PHASES), np.inf) for name in trainers}
    for _ in range(blocks):
        total = {name: np.zeros(len(PHASES)) for name in trainers}
        for x, y in batches:
            for name, trainer in trainers.items():
                total[name] += timers[name](trainer, x, y)
        for name in trainers:
            best[name] = np.minimum(best[name], total[name] / len(batches) * 1e6)
    return best


class TinyChainruleMLP(bench_mlp.ChainruleMLP):
    """The same loop on an 8-8-8-4 MLP: what a step costs when the arithmetic is nearly free."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        import chainrule
        from chainrule import nn, optim
        from chainrule.nn import functional as F

        self.chainrule, self.F = chainrule, F
        self.model = nn.Sequential(
            nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4)
        )
        linears = [m for m in self.model if isinstance(m, nn.Linear)]
        for layer, (W, b) in zip(linears, weights):
            layer.weight.data, layer.bias.data = W.copy(), b.copy()
        self.opt = optim.SGD(self.model.parameters(), lr=bench_mlp.LR, momentum=bench_mlp.MOMENTUM)


def report(best: dict[str, np.ndarray], title: str) -> None:
    print(title)
    print(f"{'phase':>10} {'chainrule':>10} {'floor':>10} {'ratio':>7} {'extra':>8}")
    for i, phase in enumerate(PHASES + ("total",)):
        ours = best["chainrule"][i] if i < len(PHASES) else best["chainrule"].sum()
        floor = best["numpy"][i] if i < len(PHASES) else best["numpy"].sum()
        print(
            f"{phase:>10} {ours:8.1f}us {floor:8.1f}us {ours / floor:6.3f}x {ours - floor:+7.1f}us"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bench_mlp's step, phase by phase")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50, help="steps per block")
    parser.add_argument("--blocks", type=int, default=20, help="blocks; the fastest is kept")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both")
    parser.add_argument("--smoke", action="store_true", help="tiny run on random data, no timing")
    args = parser.parse_args(argv)
    if args.smoke:
        args.steps, args.blocks = 3, 1
    import chainrule

    chainrule.set_num_threads(args.threads)
    x, y, source = bench_mlp.load_data(args.batch * (args.steps + 10), smoke=args.smoke)
    batches = bench_mlp.make_batches(x, y, args.batch)
    report(
        measure(batches, args.blocks),
        f"{source} data, batch {args.batch}, {args.threads} thread(s), 784-256-256-10 MLP, "
        f"best of {args.blocks} blocks of {len(batches)} steps (microseconds per step)",
    )

    # The fixed cost: the same phases on a model too small for the arithmetic to matter.
    saved_sizes = bench_mlp.SIZES
    bench_mlp.SIZES = (8, 8, 8, 4)
    try:
        rng = np.random.default_rng(0)
        tiny = [
            (rng.random((4, 8), dtype=np.float32), rng.integers(0, 4, 4))
            for _ in range(args.steps + 10)
        ]
        best = measure(tiny, args.blocks, TinyChainruleMLP)
    finally:
        bench_mlp.SIZES = saved_sizes
    report(best, "fixed cost of a step (8-8-8-4 MLP, batch 4): Python work, not arithmetic")
    return 0


if __name__ == "__main__":
    sys.exit(main())

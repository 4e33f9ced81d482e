"""default_collate of 64 per-sample tensors, chainrule against PyTorch, measured side by side.

    python benchmarks/bench_collate.py                  # 64 samples of (784,) float32 + int label
    python benchmarks/bench_collate.py --batch-size 256 --repeats 400

This is the per-sample DataLoader path (a Dataset without ``get_batch`` returns one
``(image, label)`` at a time and the loader stacks them). Each library collates its own
tensors: chainrule Tensors with ``chainrule.utils.data.default_collate``, torch tensors with
``torch.utils.data.default_collate``. Timings are medians over interleaved rounds, so a busy
machine slows both alike. The goal is a ratio of at most 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch.utils.data import default_collate as torch_collate

import chainrule
from chainrule.utils.data import default_collate


def time_once(collate, samples, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        collate(samples)
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--repeats", type=int, default=200, help="collates per timing")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved timings per library")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rng = np.random.default_rng(0)
    images = rng.random((args.batch_size, args.features), dtype=np.float32)
    labels = rng.integers(0, 10, args.batch_size)
    ours = [(chainrule.tensor(x), int(y)) for x, y in zip(images, labels)]
    theirs = [(torch.tensor(x), int(y)) for x, y in zip(images, labels)]
    # Same batch out of both, or the timing compares different work.
    a, b = default_collate(ours), torch_collate(theirs)
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())

    times: dict[str, list[float]] = {"chainrule": [], "torch": []}
    for _ in range(args.rounds):
        times["chainrule"].append(time_once(default_collate, ours, args.repeats))
        times["torch"].append(time_once(torch_collate, theirs, args.repeats))
    ours_t, theirs_t = statistics.median(times["chainrule"]), statistics.median(times["torch"])
    print(f"default_collate, {args.batch_size} samples of ({args.features},) + label")
    print(f"  chainrule  {ours_t * 1e6:8.1f} us")
    print(f"  torch      {theirs_t * 1e6:8.1f} us")
    print(f"  ratio chainrule/torch = {ours_t / theirs_t:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()

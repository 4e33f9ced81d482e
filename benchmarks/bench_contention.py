"""A ``chainrule train`` epoch quiet and with a busy NumPy neighbour, in one run: the contention ratio.

    python benchmarks/bench_contention.py                   # Fashion-MNIST if installed, else the sample
    python benchmarks/bench_contention.py --cores 0,1       # emulate a 2-core laptop on a bigger machine
    python benchmarks/bench_contention.py --threads 2 1     # the BLAS thread counts to compare

For each BLAS thread count (``chainrule.set_num_threads``), the default model's epoch (the
lecture's 784-256-256-10 ReLU MLP, SGD, batch 64) is timed ``--rounds`` times with the machine
as it is ("quiet"), then again while a second process multiplies 512x512 matrices with
NumPy in a loop, using its own default BLAS threads ("contended"), the neighbour the issue
measured. The medians' ratio, contended / quiet, is what a student with a busy laptop feels:
the target is at most 1.6x for the count ``chainrule train`` picks
(``chainrule.threads.threads_for_training``).

Run it on an otherwise idle machine: other load makes "quiet" contended too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train_epoch import chainrule_epoch_runner  # noqa: E402

# The neighbour: NumPy, busy with matrix products, as the contender was.
NEIGHBOUR = (
    "import numpy as np\n"
    "a = np.random.default_rng(0).random((512, 512))\n"
    "while True:\n"
    "    a = a @ a\n"
    "    a /= np.abs(a).max()\n"
)


def load(n_images: int):
    import numpy as np

    from chainrule.data import (
        MNIST_MEAN,
        MNIST_STD,
        load_fashion_mnist,
        load_mnist,
        normalize,
        to_float,
    )

    try:
        ds, name = load_fashion_mnist(), "Fashion-MNIST"
    except FileNotFoundError:
        ds, name = load_mnist(download=False), "the embedded MNIST sample"
    x = normalize(to_float(ds.x_train[:n_images]), MNIST_MEAN, MNIST_STD)
    return x, np.asarray(ds.y_train[:n_images]), name


def epochs(run, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    import chainrule
    from chainrule.threads import threads_for_training

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--images", type=int, default=20_000, help="images per epoch")
    parser.add_argument("--rounds", type=int, default=3, help="epochs timed per condition")
    parser.add_argument("--threads", type=int, nargs="+", help="BLAS thread counts to compare")
    parser.add_argument("--cores", help="run on these cores only, e.g. 0,1 (Linux)")
    args = parser.parse_args(argv)

    cores = None
    if args.cores:
        cores = {int(c) for c in args.cores.split(",")}
        os.sched_setaffinity(0, cores)
    picked = threads_for_training(64, [784, 256, 256, 10])
    counts = args.threads or sorted({len(os.sched_getaffinity(0)), picked}, reverse=True)
    x, y, name = load(args.images)
    run = chainrule_epoch_runner(x, y)
    run()  # warm up: first-touch allocations, imports

    results = {}
    for n in counts:
        chainrule.set_num_threads(n)
        quiet = epochs(run, args.rounds)
        neighbour = subprocess.Popen([sys.executable, "-c", NEIGHBOUR])
        try:
            if cores:
                os.sched_setaffinity(neighbour.pid, cores)
            time.sleep(1.0)  # let it get going
            contended = epochs(run, args.rounds)
        finally:
            neighbour.kill()
            neighbour.wait()
        results[n] = (quiet, contended)
        print(
            f"{n} BLAS thread(s): quiet {quiet:.3f} s, contended {contended:.3f} s per epoch: "
            f"{contended / quiet:.2f}x"
        )

    print(
        f"\n{name}, {len(y):,} images, batch 64, 784-256-256-10, median of {args.rounds}; "
        f"cores {sorted(os.sched_getaffinity(0))}; chainrule train picks {picked} thread(s)"
    )
    for n, (quiet, contended) in results.items():
        mark = "  <- chainrule train" if n == picked else ""
        print(f"  threads {n}: contended / quiet = {contended / quiet:.2f}x{mark}")
    if len(results) > 1:
        best_quiet = min(q for q, _ in results.values())
        for n, (quiet, _) in results.items():
            print(f"  threads {n}: quiet / fastest quiet = {quiet / best_quiet:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One training epoch of ``chainrule train``'s loop vs the same loop in PyTorch, on Fashion-MNIST.

    apt-get install dataset-fashion-mnist      # the IDX files in /usr/share/datasets/fashion-mnist
    python benchmarks/bench_train_epoch.py               # 3 rounds, 54,000 images, batch 64
    python benchmarks/bench_train_epoch.py --rounds 5 --images 20000

Both sides run what ``chainrule train`` runs per epoch with its defaults: shuffle, then for each
batch of 64 the lecture's five lines (forward, loss, zero_grad, backward, step) on the
784-256-256-10 ReLU MLP with SGD (lr 0.01, momentum 0.9), plus the running loss (``item()``)
and accuracy (argmax) that the progress line shows. Inputs are standardised float32.

- **chainrule**: ``chainrule.data.DataLoader`` (one fancy index per batch), ``build_mlp``,
  ``nn.CrossEntropyLoss``, ``optim.SGD``;
- **torch**: CPU, ``torch.set_num_threads(2)``, batches cut from a ``randperm`` by indexing
  (the fast way; a ``torch.utils.data.DataLoader`` over a ``TensorDataset`` collates sample by
  sample and is several times slower).

The two alternate within each round (the order flips every round) and the medians are
compared, so a change in machine load hits both alike. Validation, checkpoints and plots are
left out: they are the same for any engine and cost well under a second per epoch.

Measured on the course's 2-core machine, idle, 5 rounds (twice): chainrule 0.75 s, torch 0.91 s
per epoch, ratio 0.83x; the two runs learn alike (epoch 3: acc 0.880 vs 0.879). With other jobs
competing for the two cores, both slow down together (1.6 s each at load 1, far more at load 5):
compare only numbers taken side by side, as this script does.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

LR, MOMENTUM, BATCH = 0.01, 0.9, 64


def load(n_images: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_images`` Fashion-MNIST training images, (n, 784) standardised float32, and labels."""
    from chainrule.data import (
        FASHION_MNIST_MEAN,
        FASHION_MNIST_STD,
        load_fashion_mnist,
        normalize,
        to_float,
    )

    ds = load_fashion_mnist()
    return normalize(
        to_float(ds.x_train[:n_images]), FASHION_MNIST_MEAN, FASHION_MNIST_STD
    ), ds.y_train[:n_images]


def chainrule_epoch_runner(x: np.ndarray, y: np.ndarray) -> Callable[[], tuple[float, float]]:
    """A function that trains one chainrule epoch and returns (mean loss, accuracy)."""
    import chainrule
    from chainrule import nn, optim
    from chainrule.data import DataLoader, TensorDataset
    from chainrule.training.models import build_mlp

    chainrule.manual_seed(0)
    model = build_mlp(784, (256, 256), 10)
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True, seed=0)

    def one_epoch() -> tuple[float, float]:
        loss_sum, correct = 0.0, 0
        for xb, yb in loader:
            logits = model(xb)
            loss = criterion(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(yb.data)
            correct += int((logits.data.argmax(1) == yb.data).sum())
        return loss_sum / len(y), correct / len(y)

    return one_epoch


def torch_epoch_runner(x: np.ndarray, y: np.ndarray) -> Callable[[], tuple[float, float]]:
    """The same epoch in PyTorch on the CPU with two threads."""
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    criterion = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(0)

    def one_epoch() -> tuple[float, float]:
        loss_sum, correct = 0.0, 0
        order = torch.randperm(len(yt), generator=generator)
        for start in range(0, len(yt), BATCH):
            idx = order[start : start + BATCH]
            xb, yb = xt[idx], yt[idx]
            logits = model(xb)
            loss = criterion(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(yb)
            correct += int((logits.argmax(1) == yb).sum())
        return loss_sum / len(yt), correct / len(yt)

    return one_epoch


def timed(run: Callable[[], tuple[float, float]]) -> tuple[float, tuple[float, float]]:
    gc.collect()
    t0 = time.perf_counter()
    result = run()
    return time.perf_counter() - t0, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="one epoch of chainrule train's loop vs PyTorch, Fashion-MNIST"
    )
    parser.add_argument(
        "--images",
        type=int,
        default=54_000,
        help="training images per epoch (chainrule train's default split: 54,000)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    x, y = load(args.images)
    runners = {"chainrule": chainrule_epoch_runner(x, y)}
    try:
        runners["torch"] = torch_epoch_runner(x, y)
    except ImportError:
        print("PyTorch is not installed (pip install -e '.[test]'): timing chainrule alone")
    names = list(runners)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            seconds, (loss, acc) = timed(runners[name])
            times[name].append(seconds)
            print(
                f"round {r + 1} {name:>9}: {seconds:6.2f} s   (epoch {r + 1}: loss {loss:.4f}, acc {acc:.4f})"
            )

    print(
        f"\nFashion-MNIST, {len(y):,} images, {-(-len(y) // BATCH)} steps of {BATCH}, 784-256-256-10 ReLU, "
        f"SGD lr {LR} momentum {MOMENTUM}, float32, median of {args.rounds} rounds"
    )
    med = {name: statistics.median(t) for name, t in times.items()}
    for name in names:
        print(
            f"{name:>9}: {med[name]:6.2f} s per epoch ({med[name] / -(-len(y) // BATCH) * 1e3:.2f} ms per step)"
        )
    if "torch" in med:
        print(f"chainrule / torch: {med['chainrule'] / med['torch']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DataLoader cost per epoch, against the training work it feeds (60,000 x 784 float32, batch 64).

    python benchmarks/bench_dataloader.py                 # defaults: batch 64, 5 epochs
    python benchmarks/bench_dataloader.py --batch-size 128

Measures, as medians:
- *loader*: one shuffled epoch of ``DataLoader(TensorDataset(x, y), batch_size, shuffle=True)``,
  iterating batches and doing nothing with them (the fast path: one ``x[idx]`` per batch);
- *training*: one forward + backward of a 784-256-256-10 ReLU MLP with softmax cross-entropy in
  plain NumPy at the same batch size, times the number of batches: the least an epoch of real
  training costs, so the ratio is an upper bound on the loader's share;
- for reference, the per-sample path (``__getitem__`` + stack) on a Dataset without ``get_batch``,
  extrapolated from a slice of an epoch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from chainrule.data import DataLoader, Dataset, TensorDataset

N, D, H, C = 60_000, 784, 256, 10


def numpy_step(
    params: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, list[np.ndarray]]:
    """One forward + backward of the MLP: x (B, 784) -> h1 (B, 256) -> h2 (B, 256) -> logits (B, 10)."""
    w1, b1, w2, b2, w3, b3 = params
    a1 = x @ w1 + b1
    h1 = np.maximum(a1, 0)
    a2 = h1 @ w2 + b2
    h2 = np.maximum(a2, 0)
    logits = h2 @ w3 + b3  # (B, 10)
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    d = p
    d[np.arange(len(y)), y] -= 1
    d /= len(y)  # dL/dlogits (B, 10)
    grads = [h2.T @ d, d.sum(0)]
    d = (d @ w3.T) * (a2 > 0)  # (B, 256)
    grads += [h1.T @ d, d.sum(0)]
    d = (d @ w2.T) * (a1 > 0)
    grads += [x.T @ d, d.sum(0)]
    return float(loss), grads


class PerSample(Dataset):
    """The same arrays without ``get_batch``: the loader falls back to __getitem__ + stack."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return self.x[i], self.y[i]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=5, help="timed loader epochs (default 5)")
    parser.add_argument("--steps", type=int, default=200, help="timed training steps (default 200)")
    args = parser.parse_args()
    B = args.batch_size

    rng = np.random.default_rng(0)
    x = rng.random((N, D), dtype=np.float32)
    y = rng.integers(0, C, N)

    loader = DataLoader(TensorDataset(x, y), batch_size=B, shuffle=True, seed=0)
    epoch_times = []
    for _ in range(args.epochs + 1):  # the first epoch warms caches and is dropped
        t0 = time.perf_counter()
        for _batch in loader:
            pass
        epoch_times.append(time.perf_counter() - t0)
    loader_epoch = statistics.median(epoch_times[1:])

    params = []
    for fan_in, fan_out in [(D, H), (H, H), (H, C)]:
        params += [
            rng.normal(scale=fan_in**-0.5, size=(fan_in, fan_out)).astype(np.float32),
            np.zeros(fan_out, np.float32),
        ]
    xb, yb = x[:B], y[:B]
    step_times = []
    for _ in range(args.steps + 10):
        t0 = time.perf_counter()
        numpy_step(params, xb, yb)
        step_times.append(time.perf_counter() - t0)
    step = statistics.median(step_times[10:])
    train_epoch = step * len(loader)

    slow = DataLoader(PerSample(x, y), batch_size=B, shuffle=True, seed=0)
    n_slow = min(len(slow), 100)
    t0 = time.perf_counter()
    for _, _batch in zip(range(n_slow), slow):
        pass
    per_sample_epoch = (time.perf_counter() - t0) / n_slow * len(slow)

    print(f"data: {N} x {D} float32, batch {B}, {len(loader)} batches per epoch")
    print(
        f"loader epoch (fast path, median of {args.epochs}):   {loader_epoch * 1e3:8.1f} ms  "
        f"({loader_epoch / len(loader) * 1e6:.1f} us/batch)"
    )
    print(f"NumPy fwd+bwd step (median of {args.steps}):         {step * 1e3:8.3f} ms")
    print(f"training epoch = step x {len(loader)} batches:          {train_epoch * 1e3:8.1f} ms")
    print(f"loader / training ratio:                       {loader_epoch / train_epoch:8.3f}")
    print(
        f"per-sample path epoch (extrapolated, reference):{per_sample_epoch * 1e3:7.1f} ms  "
        f"(ratio {per_sample_epoch / train_epoch:.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The lecture's MLP, three ways: chainrule vs a hand-written NumPy floor vs PyTorch.

    pip install -e ".[test]" && apt-get install dataset-fashion-mnist
    python benchmarks/bench_mlp.py                 # batch 64, 20,000 images
    python benchmarks/bench_mlp.py --batch 512     # BLAS-bound: the ratio nears 1.0

All three train the same 784-256-256-10 ReLU MLP with cross-entropy and SGD
(lr 0.01, momentum 0.9) in float32 on the first ``--images`` Fashion-MNIST training
images, one epoch per round, starting from the same weights and visiting the same
batches:

- **chainrule**: the lecture's loop, ``model(x)``, ``F.cross_entropy``,
  ``zero_grad``, ``backward``, ``step``;
- **numpy**: the same arithmetic written out by hand (the same matrix products,
  no autograd): the floor any NumPy engine can reach;
- **torch**: PyTorch on the CPU with ``torch.set_num_threads(2)``.

``--threads N`` gives all three N threads instead (``chainrule.set_num_threads`` for the two
NumPy contenders, ``torch.set_num_threads`` for torch): ``--threads 1`` is what
``chainrule train`` uses, and the fair comparison on a machine that is busy with other work.

The contenders alternate within each round (the order rotates), and the medians over
rounds are compared, so a change in machine load hits all three alike. Each timed epoch
runs in a fresh worker process: PyTorch's OpenMP threads and NumPy's OpenBLAS threads
compete for the two cores when they share a process (measured: the NumPy floor ran 2x
slower after PyTorch had run beside it), so sharing one process would measure that
contention rather than the engines. Start-up, data loading and a 10-step warm-up are
outside the timed epoch. After the
run the three sets of weights are compared: they must agree to float32 rounding,
which shows the three did the same work. Peak memory (tracemalloc, which sees NumPy
allocations) is reported for chainrule and the floor.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

LR, MOMENTUM = 0.01, 0.9
THREADS = 2  # for every contender; --threads changes it
SIZES = (784, 256, 256, 10)


# ---------------------------------------------------------------------- data and weights
def load_data(n_images: int, smoke: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """(X float32 (n, 784) in [0, 1], y int64 (n,), description)."""
    if not smoke:
        try:
            from chainrule.data import load_fashion_mnist

            ds = load_fashion_mnist()
            x = ds.x_train[:n_images].reshape(-1, 784).astype(np.float32) / 255.0
            return x, ds.y_train[:n_images].astype(np.int64), "Fashion-MNIST"
        except Exception as e:  # noqa: BLE001 - say why, then fall back
            print(f"(Fashion-MNIST unavailable: {e}; using random data of the same shape)")
    rng = np.random.default_rng(0)
    return (rng.random((n_images, 784), dtype=np.float32), rng.integers(0, 10, n_images), "random")


def initial_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """PyTorch's default Linear init, U(-1/sqrt(in), 1/sqrt(in)); W is (out, in)."""
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        out.append(
            (
                rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                rng.uniform(-bound, bound, fan_out).astype(np.float32),
            )
        )
    return out


# ---------------------------------------------------------------------- the three trainers
class NumpyMLP:
    """The floor: forward, backward and momentum SGD written out with NumPy."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.params = [p.copy() for pair in weights for p in pair]  # W1 b1 W2 b2 W3 b3
        self.bufs: list[np.ndarray | None] = [None] * len(self.params)
        self.activations: tuple[np.ndarray, ...] | None = None

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        logits = self.forward(x)
        d3 = self.loss_and_delta(logits, y)
        self.update(self.backward(x, d3))

    # The step in its four phases (bench_mlp_phases.py times each one against chainrule's).
    def forward(self, x: np.ndarray) -> np.ndarray:
        W1, b1, W2, b2, W3, b3 = self.params
        z1 = x @ W1.T + b1  # (B, 256)
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2.T + b2  # (B, 256)
        h2 = np.maximum(z2, 0)
        self.activations = (z1, h1, z2, h2)  # for backward, which drops them (as locals were)
        return h2 @ W3.T + b3  # (B, 10)

    def loss_and_delta(self, logits: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Set ``self.loss``; return dL/dlogits = (softmax − onehot)/B."""
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        total = probs.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        self.loss = float(
            np.mean(np.log(total[:, 0]) - shifted[rows, y])
        )  # the loss value, as the others do
        probs /= total
        d3 = probs
        d3[rows, y] -= 1  # ŷ − y
        d3 /= len(y)  # mean over the batch
        return d3

    def backward(self, x: np.ndarray, d3: np.ndarray) -> list[np.ndarray]:
        W1, b1, W2, b2, W3, b3 = self.params
        (z1, h1, z2, h2), self.activations = self.activations, None
        grads = [None] * 6
        grads[4], grads[5] = d3.T @ h2, d3.sum(axis=0)
        d2 = (d3 @ W3) * (z2 > 0)
        grads[2], grads[3] = d2.T @ h1, d2.sum(axis=0)
        d1 = (d2 @ W2) * (z1 > 0)
        grads[0], grads[1] = d1.T @ x, d1.sum(axis=0)
        return grads

    def update(self, grads: list[np.ndarray]) -> None:
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if self.bufs[i] is None:
                self.bufs[i] = g.copy()  # torch: the first buffer is the gradient
            else:
                self.bufs[i] *= MOMENTUM
                self.bufs[i] += g
            p -= LR * self.bufs[i]

    def weights(self) -> list[np.ndarray]:
        return self.params


class ChainruleMLP:
    """The lecture's five-line loop on chainrule."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        import chainrule
        from chainrule import nn, optim
        from chainrule.nn import functional as F

        self.chainrule, self.F = chainrule, F
        self.model = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        )
        linears = [m for m in self.model if isinstance(m, nn.Linear)]
        for layer, (W, b) in zip(linears, weights):
            layer.weight.data = W.copy()
            layer.bias.data = b.copy()
        self.opt = optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        logits = self.model(self.chainrule.as_tensor(x))
        loss = self.F.cross_entropy(logits, self.chainrule.as_tensor(y))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


class TorchMLP:
    """The same loop in PyTorch, on the CPU with two threads."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        import torch

        torch.set_num_threads(THREADS)
        self.torch = torch
        self.model = torch.nn.Sequential(
            torch.nn.Linear(784, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 10),
        )
        linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for layer, (W, b) in zip(linears, weights):
                layer.weight.copy_(torch.from_numpy(W))
                layer.bias.copy_(torch.from_numpy(b))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        logits = self.model(self.torch.from_numpy(x))
        loss = self.torch.nn.functional.cross_entropy(logits, self.torch.from_numpy(y))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


# ---------------------------------------------------------------------- measuring
def worker(name: str, batch: int, images: int, smoke: bool, threads: int = 2) -> float:
    """Time one epoch of one contender in this (fresh) process; see the module docstring."""
    global THREADS
    THREADS = threads
    if name != "torch":
        import chainrule

        chainrule.set_num_threads(threads)
    x, y, _ = load_data(images, smoke)
    batches = make_batches(x, y, batch)
    trainer = {"chainrule": ChainruleMLP, "numpy": NumpyMLP, "torch": TorchMLP}[name](
        initial_weights()
    )
    epoch(trainer, batches[:10])  # warm-up: BLAS threads start, pages get mapped
    return epoch(trainer, batches)


def timed_epoch_in_subprocess(name: str, args: argparse.Namespace) -> float:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        name,
        "--batch",
        str(args.batch),
        "--images",
        str(args.images),
        "--threads",
        str(args.threads),
    ] + (["--smoke"] if args.smoke else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker {name} failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def make_batches(x: np.ndarray, y: np.ndarray, batch: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n = len(x) - len(x) % batch
    return [(np.ascontiguousarray(x[i : i + batch]), y[i : i + batch]) for i in range(0, n, batch)]


def epoch(trainer: object, batches: list[tuple[np.ndarray, np.ndarray]]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    for x, y in batches:
        trainer.step(x, y)
    return time.perf_counter() - t0


def peak_memory(make: Callable[[], object], batches: list[tuple[np.ndarray, np.ndarray]]) -> int:
    """Peak bytes NumPy allocates while one fresh trainer runs a few steps."""
    trainer = make()
    gc.collect()
    tracemalloc.start()
    for x, y in batches[:20]:
        trainer.step(x, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(
        description="chainrule vs NumPy floor vs PyTorch on the lecture's MLP"
    )
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="BLAS/torch threads for all three")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny run on random data: checks, no timing"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: time one contender
    args = parser.parse_args(argv)
    if args.smoke:
        args.images, args.rounds = 6 * args.batch, 1
    if args.worker:
        print(worker(args.worker, args.batch, args.images, args.smoke, args.threads))
        return {}

    x, y, source = load_data(args.images, args.smoke)
    batches = make_batches(x, y, args.batch)
    weights = initial_weights()
    makers: dict[str, Callable[[], object]] = {
        "chainrule": lambda: ChainruleMLP(weights),
        "numpy": lambda: NumpyMLP(weights),
    }
    try:
        import torch  # noqa: F401

        makers["torch"] = lambda: TorchMLP(weights)
    except ImportError:
        print("(PyTorch not installed: comparing chainrule with the NumPy floor only)")
    names = list(makers)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(timed_epoch_in_subprocess(name, args))

    # Same work: fresh trainers, 20 steps from the same start, agree to float32 rounding.
    # (Over thousands of steps float32 rounding differences grow, as in any training.)
    fresh = {name: make() for name, make in makers.items()}
    for x_b, y_b in batches[:20]:
        for trainer in fresh.values():
            trainer.step(x_b, y_b)
    ref = fresh["numpy"].weights()
    worst = {
        name: max(float(np.max(np.abs(a - b))) for a, b in zip(fresh[name].weights(), ref))
        for name in names
        if name != "numpy"
    }

    med = {name: statistics.median(t) for name, t in times.items()}
    print(
        f"{source} data, {len(batches)} batches of {args.batch} per epoch, {args.rounds} rounds, float32, "
        f"784-256-256-10 ReLU MLP, SGD lr {LR} momentum {MOMENTUM}"
    )
    for name in names:
        print(
            f"{name:>10}: median {med[name]:7.3f} s per epoch "
            f"({med[name] / len(batches) * 1e3:6.2f} ms per step)"
        )
    result = {f"time_{k}": v for k, v in med.items()}
    result["chainrule_over_numpy"] = med["chainrule"] / med["numpy"]
    print(f"chainrule / numpy floor : {result['chainrule_over_numpy']:.3f}x")
    if "torch" in med:
        result["chainrule_over_torch"] = med["chainrule"] / med["torch"]
        result["torch_over_numpy"] = med["torch"] / med["numpy"]
        print(f"chainrule / torch       : {result['chainrule_over_torch']:.3f}x")
        print(f"torch / numpy floor     : {result['torch_over_numpy']:.3f}x")
    mem = {name: peak_memory(makers[name], batches) for name in ("chainrule", "numpy")}
    result["peak_memory_ratio"] = mem["chainrule"] / mem["numpy"]
    print(
        f"peak NumPy memory over 20 steps: chainrule {mem['chainrule'] / 2**20:.1f} MiB, "
        f"floor {mem['numpy'] / 2**20:.1f} MiB ({result['peak_memory_ratio']:.2f}x)"
    )
    for name, w in worst.items():
        print(f"max |weight difference| {name} vs numpy after 20 steps: {w:.2e}")
        result[f"weight_diff_{name}"] = w
    return result


def main(argv: list[str] | None = None) -> int:
    result = run(argv)
    if not result:  # a worker process: it printed its time
        return 0
    agree = all(v < 1e-4 for k, v in result.items() if k.startswith("weight_diff"))
    if not agree:
        print("the contenders did not compute the same thing", file=sys.stderr)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())

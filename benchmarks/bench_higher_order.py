"""Higher-order and forward-mode costs, chainrule vs PyTorch, on the lecture's MLP shapes.

    python benchmarks/bench_higher_order.py            # 784-256-256-10, batch 64, float32
    python benchmarks/bench_higher_order.py --smoke    # tiny sizes: checks, no timing

Times (median of --rounds, each --reps calls) of five things, side by side with torch and as
ratios to chainrule's own first-order gradient:

- ``grad``: the first-order gradient of the loss (the NumPy fast path);
- ``grad create_graph``: the same gradient recorded (each rule's ``graph_vjp``);
- ``hvp``: a Hessian-vector product (the recorded gradient, then one more backward);
- ``jvp``: one forward-mode directional derivative of the loss (dual tensors);
- ``grad of grad norm``: d‖∇L‖²/dθ, the gradient-penalty pattern.

Each result is checked against torch's (float32 rounding) before anything is timed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def make_problem(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32))
        params.append(np.zeros(n_out, np.float32))
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    u = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    return params, x, y, u


def tasks(lib, params, x, y, u):
    """The five computations for one library (chainrule or torch), as zero-argument calls."""
    if lib == "chainrule":
        import chainrule as T
        from chainrule.autograd import forward_ad as fwad
        from chainrule.autograd import grad
        from chainrule.nn import functional as F
    else:
        import torch as T
        from torch.autograd import forward_ad as fwad
        from torch.autograd import grad
        from torch.nn import functional as F
    ps = [T.tensor(p, requires_grad=True) for p in params]
    us = [T.tensor(v) for v in u]
    xt, yt = T.tensor(x), T.tensor(y)

    def loss(ws):
        h = xt
        for i in range(0, len(ws) - 2, 2):
            h = F.linear(h, ws[i], ws[i + 1]).tanh()  # tanh: a non-zero second derivative
        return F.cross_entropy(F.linear(h, ws[-2], ws[-1]), yt)

    def first():
        return grad(loss(ps), ps)

    def recorded():
        return grad(loss(ps), ps, create_graph=True)

    def hvp():
        gs = grad(loss(ps), ps, create_graph=True)
        dot = sum((g * v).sum() for g, v in zip(gs, us))
        return grad(dot, ps)

    def jvp():
        with fwad.dual_level():
            duals = [fwad.make_dual(p.detach(), v) for p, v in zip(ps, us)]
            return (fwad.unpack_dual(loss(duals)).tangent,)

    def penalty():
        gs = grad(loss(ps), ps, create_graph=True)
        return grad(sum((g * g).sum() for g in gs), ps)

    return {
        "grad": first,
        "grad create_graph": recorded,
        "hvp": hvp,
        "jvp": jvp,
        "grad of grad norm": penalty,
    }


def to_numpy(results):
    return [r.detach().numpy() if hasattr(r, "detach") else np.asarray(r) for r in results]


def timed(fn, reps, rounds):
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - start) / reps)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="higher-order and forward-mode costs vs torch")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks, no timing")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    sizes = (8, 6, 6, 3) if args.smoke else (784, 256, 256, 10)
    params, x, y, u = make_problem(sizes, 4 if args.smoke else args.batch)
    ours, theirs = tasks("chainrule", params, x, y, u), tasks("torch", params, x, y, u)
    worst = 0.0
    for name in ours:
        for a, b in zip(to_numpy(ours[name]()), to_numpy(theirs[name]())):
            worst = max(worst, float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-12)))
    print(
        f"MLP {'-'.join(map(str, sizes))}, float32; max relative difference vs torch: {worst:.1e}"
    )
    if worst > 1e-3:
        print("results disagree with torch: not timing")
        return 1
    if args.smoke:
        reps, rounds = 1, 1
    else:
        reps, rounds = args.reps, args.rounds
    base = None
    print(f"{'':20s} {'chainrule':>12s} {'torch':>12s} {'ratio':>7s} {'/ grad':>7s}")
    for name in ours:
        t_ours, t_theirs = timed(ours[name], reps, rounds), timed(theirs[name], reps, rounds)
        base = base or t_ours
        print(
            f"{name:20s} {t_ours * 1e3:9.2f} ms {t_theirs * 1e3:9.2f} ms "
            f"{t_ours / t_theirs:6.2f}x {t_ours / base:6.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

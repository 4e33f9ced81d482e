"""Forward mode costs one pass per input, reverse mode one pass per output: measured.

The course's table: "forward mode: one pass per input, O(n_params); reverse mode: one pass per
output, O(1) for a scalar loss". Here the full gradient of a scalar loss of n parameters is taken
both ways for n from 10 to 10^5 (every pass costs O(n) arithmetic, so forward mode's total time
grows like n², reverse mode's like n), and the full Jacobian of a function with few inputs and
many outputs both ways (where the roles swap). The passes are counted, and the times are fitted
on log axes: the slopes are the exponents.
"""

from __future__ import annotations

import time

import numpy as np

from chainrule._tensor import as_tensor
from chainrule.autograd import forward_ad, grad
from chainrule.demos._plot import figure
from chainrule.demos._result import DemoResult, Verdict

CLAIM = (
    "For a scalar loss of n parameters, reverse mode needs 1 pass and forward mode n passes "
    "(course table: O(1) vs O(n_params)); for few inputs and many outputs the roles swap."
)

# Forward mode at n = 10^5 would be 10^5 passes (hours in Python). Beyond this many passes the
# time is measured on a sample of directions and scaled by n / sample, which the JSON says.
MAX_TIMED_PASSES = 200


def loss(theta):
    """A scalar loss with O(n) work per pass: Σ tanh(θ)·c + (Σ θ²)/n."""
    n = theta.shape[0]
    c = as_tensor(np.linspace(-1.0, 1.0, n))
    return (theta.tanh() * c).sum() + (theta * theta).sum() / n


def reverse_gradient(theta0: np.ndarray) -> tuple[np.ndarray, int, float]:
    """The whole gradient in one backward pass: (gradient, passes, seconds)."""
    start = time.perf_counter()
    theta = as_tensor(theta0).requires_grad_()
    (g,) = grad(loss(theta), theta)
    return g.numpy(), 1, time.perf_counter() - start


def forward_gradient(theta0: np.ndarray, timed: int | None = None) -> tuple[np.ndarray, int, float]:
    """The gradient one entry per pass, J e_k for each k: (entries computed, passes, seconds).

    With ``timed`` set, only that many passes run and the time is scaled to all n of them.
    """
    n = theta0.size
    run = n if timed is None else min(n, timed)
    out = np.zeros(run)
    theta = as_tensor(theta0)
    start = time.perf_counter()
    for k in range(run):  # one forward pass per input direction
        e_k = np.zeros(n)
        e_k[k] = 1.0
        with forward_ad.dual_level():
            dual = forward_ad.make_dual(theta, as_tensor(e_k))
            out[k] = float(forward_ad.unpack_dual(loss(dual)).tangent)
    return out, n, (time.perf_counter() - start) * n / run


def many_outputs(x, w):
    """R^4 -> R^m: m outputs from 4 inputs, m the length of the weight rows w (2, m)."""
    return (x[0] * w[0] + x[1] * w[1]).tanh() * x[2] + x[3]


def jacobian_costs(m: int) -> dict[str, float]:
    """The full m×4 Jacobian both ways: reverse needs m passes, forward 4."""
    rng = np.random.default_rng(0)
    w = as_tensor(rng.standard_normal((2, m)))
    x0 = rng.standard_normal(4)
    start = time.perf_counter()
    x = as_tensor(x0).requires_grad_()
    y = many_outputs(x, w)
    rows = []
    for j in range(m):  # one backward pass per output
        e_j = np.zeros(m)
        e_j[j] = 1.0
        rows.append(grad(y, x, e_j, retain_graph=True)[0].numpy())
    reverse_time = time.perf_counter() - start
    start = time.perf_counter()
    cols = []
    for k in range(4):  # one forward pass per input
        e_k = np.zeros(4)
        e_k[k] = 1.0
        with forward_ad.dual_level():
            cols.append(
                forward_ad.unpack_dual(
                    many_outputs(forward_ad.make_dual(as_tensor(x0), as_tensor(e_k)), w)
                ).tangent.numpy()
            )
    forward_time = time.perf_counter() - start
    agree = float(np.max(np.abs(np.array(rows) - np.stack(cols, axis=1))))
    return {
        "m": m,
        "reverse_passes": m,
        "forward_passes": 4,
        "reverse_s": reverse_time,
        "forward_s": forward_time,
        "max_difference": agree,
    }


def _slope(ns, ts) -> float:
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def forward_vs_reverse(seed: int = 0, quick: bool = False) -> DemoResult:
    """Count passes and time both modes for the gradient (n inputs) and a Jacobian (m outputs)."""
    ns = [10, 100, 1000] if quick else [10, 100, 1000, 10_000, 100_000]
    rng = np.random.default_rng(seed)
    rows = []
    for n in ns:
        theta0 = rng.standard_normal(n)
        g_rev, p_rev, t_rev = reverse_gradient(theta0)
        timed = None if n <= MAX_TIMED_PASSES else MAX_TIMED_PASSES
        g_fwd, p_fwd, t_fwd = forward_gradient(theta0, timed)
        rows.append(
            {
                "n": n,
                "reverse_passes": p_rev,
                "forward_passes": p_fwd,
                "reverse_s": t_rev,
                "forward_s": t_fwd,
                "forward_time_scaled": timed is not None,
                "max_difference": float(np.max(np.abs(g_rev[: g_fwd.size] - g_fwd))),
            }
        )
    ms = [10, 100, 1000] if quick else [10, 100, 1000, 10_000]
    jac = [jacobian_costs(m) for m in ms]
    big = [r for r in rows if r["n"] >= 100]  # below ~100 elements fixed Python costs dominate
    measured = {
        "gradient": rows,
        "jacobian": jac,
        "slope_passes_forward": _slope([r["n"] for r in rows], [r["forward_passes"] for r in rows]),
        "slope_passes_reverse": _slope([r["n"] for r in rows], [r["reverse_passes"] for r in rows]),
        "slope_time_forward": _slope([r["n"] for r in big], [r["forward_s"] for r in big]),
        "slope_time_reverse": _slope([r["n"] for r in big], [r["reverse_s"] for r in big]),
        "max_difference": max(r["max_difference"] for r in rows + jac),
    }
    holds = (
        measured["slope_passes_forward"] > 0.99
        and abs(measured["slope_passes_reverse"]) < 1e-9
        and measured["slope_time_forward"] - measured["slope_time_reverse"] > 0.5
        and measured["max_difference"] < 1e-9
    )

    def draw():
        fig, axes = figure(ncols=2, width=4.2)
        _cost_panel(
            axes[0],
            [r["n"] for r in rows],
            rows,
            "n parameters",
            "gradient",
            "scalar loss: gradient",
            ("n passes", "1 pass"),
        )
        _cost_panel(
            axes[1],
            [r["m"] for r in jac],
            jac,
            "m outputs (4 inputs)",
            "Jacobian",
            "many outputs: Jacobian",
            ("4 passes", "m passes"),
        )
        return fig

    return DemoResult(
        "forward-vs-reverse",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"passes grow like n^{measured['slope_passes_forward']:.2f} in forward mode and "
            f"n^{measured['slope_passes_reverse']:.2f} in reverse mode; the time slopes are "
            f"{measured['slope_time_forward']:.2f} (forward) vs {measured['slope_time_reverse']:.2f} "
            f"(reverse), each pass being O(n); both modes agree to {measured['max_difference']:.1e}.",
        ),
        headline=[
            "slope_passes_forward",
            "slope_passes_reverse",
            "slope_time_forward",
            "slope_time_reverse",
        ],
        figures={"cost": draw},
    )


def _cost_panel(ax, sizes, rows, xlabel: str, what: str, title: str, passes) -> None:
    """Seconds against size on log axes, forward mode beside reverse mode (``passes`` say how many)."""
    ax.loglog(sizes, [r["forward_s"] for r in rows], "o-", label=f"forward mode ({passes[0]})")
    ax.loglog(sizes, [r["reverse_s"] for r in rows], "s-", label=f"reverse mode ({passes[1]})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"seconds for the full {what}")
    ax.set_title(title)
    ax.legend()

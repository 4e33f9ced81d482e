"""The softmax + cross-entropy gradient: ∂L/∂z = ŷ − y, checked by autograd.

On the slide's logits z = [2, 1, 0.1] (true class 0) and on random batches, autograd's
gradient of ``F.cross_entropy`` is compared with softmax(z) − onehot(y) (divided by the batch
size, since the loss is a mean). The slide rounds ŷ to [0.66, 0.24, 0.10]; the exact values are
reported beside it. The figure is the lecture's push-pull picture.
"""

from __future__ import annotations

import numpy as np

from chainrule._tensor import as_tensor
from chainrule.demos._plot import figure, panel_title
from chainrule.demos._result import DemoResult, Verdict
from chainrule.nn import functional as F

CLAIM = "For softmax followed by cross-entropy, ∂L/∂z_k = ŷ_k − y_k: push the true logit up, the others down."

SLIDE_LOGITS = [2.0, 1.0, 0.1]
SLIDE_SOFTMAX = [0.66, 0.24, 0.10]
SLIDE_GRADIENT = [-0.34, 0.24, 0.10]


def ce_gradient(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(autograd's dL/dz, the formula (softmax(z) − onehot(y)) / B) for a (B, K) float64 batch."""
    z = as_tensor(logits).requires_grad_()
    F.cross_entropy(z, as_tensor(target)).backward()
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    onehot = np.eye(logits.shape[1])[target]
    return z.grad.numpy(), (p - onehot) / len(logits)


def softmax_ce_gradient(seed: int = 0, quick: bool = False) -> DemoResult:
    """Autograd vs ŷ − y on the slide's logits and on random (B, K) batches."""
    z = np.array([SLIDE_LOGITS])
    auto, formula = ce_gradient(z, np.array([0]))
    p = as_tensor(z[0]).softmax(dim=0).numpy()
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(5 if quick else 50):
        b, k = rng.integers(1, 65), rng.integers(2, 20)
        g_auto, g_formula = ce_gradient(
            rng.normal(scale=3.0, size=(b, k)), rng.integers(0, k, size=b)
        )
        worst = max(worst, float(np.max(np.abs(g_auto - g_formula))))
    measured = {
        "logits": SLIDE_LOGITS,
        "softmax_exact": p,
        "softmax_slide": SLIDE_SOFTMAX,
        "grad_autograd": auto[0],
        "grad_formula": formula[0],
        "grad_slide": SLIDE_GRADIENT,
        "max_abs_difference": float(np.max(np.abs(auto - formula))),
        "random_max_abs_difference": worst,
        "slide_rounding_error": float(np.max(np.abs(np.array(SLIDE_GRADIENT) - auto[0]))),
        "loss": float(-np.log(p[0])),
    }
    holds = (
        measured["max_abs_difference"] < 1e-12
        and worst < 1e-12
        and measured["slide_rounding_error"] < 0.005
    )

    def draw():
        fig, axes = figure(ncols=2, width=6.4, height=5.0)
        k = np.arange(3)
        ax = axes[0]
        ax.bar(k - 0.2, p, 0.4, label="ŷ = softmax(z)")
        ax.bar(k + 0.2, [1, 0, 0], 0.4, label="y (true class 0)")
        ax.set_xticks(k, [f"z{i} = {v:g}" for i, v in enumerate(SLIDE_LOGITS)])
        ax.set_ylim(0, 1.3)  # headroom: the legend sits above the bars, not on them
        ax.set_ylabel("probability")
        panel_title(ax, "prediction vs target")
        ax.legend(loc="upper right")
        ax = axes[1]
        g = auto[0]
        ax.bar(k, g, 0.6, color=["#009E73" if v < 0 else "#D55E00" for v in g])
        for i, v in enumerate(g):
            # Value and meaning together, just past the end of the bar, on the bar's side of 0.
            ax.annotate(
                f"{v:+.4f}\n" + ("push up" if v < 0 else "push down"),
                (i, v),
                xytext=(0, -6 if v < 0 else 6),
                textcoords="offset points",
                ha="center",
                va="top" if v < 0 else "bottom",
            )
        ax.axhline(0, color="k", lw=0.8)
        reach = float(np.max(np.abs(g)))
        ax.set_ylim(-1.6 * reach, 1.6 * reach)
        ax.set_xticks(k, ["z0 (true)", "z1", "z2"])
        ax.set_ylabel("∂L/∂z = ŷ − y")
        panel_title(ax, "the gradient: SGD moves each z against it")
        return fig

    return DemoResult(
        "softmax-ce-gradient",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"autograd gives {np.round(auto[0], 4).tolist()} = ŷ − y to "
            f"{measured['max_abs_difference']:.0e}; on random batches the worst difference is {worst:.0e}. "
            f"The slide's {SLIDE_GRADIENT} is this rounded to 2 decimals.",
        ),
        notes=[
            f"Exact softmax of [2, 1, 0.1]: {np.round(p, 4).tolist()} (slide: {SLIDE_SOFTMAX}); the slide's "
            "sum 11.22 adds the rounded exponentials, the exact sum is 11.2125."
        ],
        headline=[
            "softmax_exact",
            "grad_autograd",
            "grad_formula",
            "max_abs_difference",
            "random_max_abs_difference",
        ],
        figures={"push-pull": draw},
    )

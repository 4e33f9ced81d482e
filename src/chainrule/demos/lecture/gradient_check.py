"""The lab's Part C: check a hand-derived gradient against autograd, finite differences, PyTorch.

A 4-8-3 ReLU network with hand-written backward passes (``chainrule.lab.manual``) is checked
with ``chainrule.compare_gradients`` in float64 and in float32, then with a deliberately
wrong backward pass (the bias gradient averaged over the batch instead of summed), which the
comparison catches and names.
"""

from __future__ import annotations

import numpy as np

from chainrule.demos._plot import figure, panel_title
from chainrule.demos._result import DemoResult, Verdict
from chainrule.lab import manual
from chainrule.lab.compare import TOLERANCE_NOTE, GradientReport, compare_gradients

CLAIM = (
    "A hand-derived backward pass can be verified: it matches autograd, finite differences and PyTorch "
    "within a tolerance that depends on the precision (float64 ~1e-6 relative, float32 ~1e-3)."
)


class MeanBiasLinear(manual.Linear):
    """A common mistake: db = mean of g over the batch instead of the sum (the loss already divided by B)."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        dx = super().backward(grad_out)
        self.grads["b"] = grad_out.mean(axis=0)
        return dx


def _network(
    rng: np.random.Generator, dtype: type, linear: type = manual.Linear
) -> manual.Sequential:
    return manual.Sequential(
        linear(
            rng.normal(scale=0.5, size=(4, 8)).T.astype(dtype),  # (out, in)
            rng.normal(scale=0.1, size=8).astype(dtype),
        ),
        manual.ReLU(),
        linear(
            rng.normal(scale=0.5, size=(8, 3)).T.astype(dtype),
            rng.normal(scale=0.1, size=3).astype(dtype),
        ),
    )


def _worst(report: GradientReport) -> dict[str, float]:
    """Largest relative difference per pair of sources, over all parameters."""
    out: dict[str, float] = {}
    for p in report.params:
        for (a, b), err in p.rel_err.items():
            out[f"{a} vs {b}"] = max(out.get(f"{a} vs {b}", 0.0), err)
    return out


def gradient_check(seed: int = 0, quick: bool = False) -> DemoResult:
    """compare_gradients on a correct network (float64, float32) and on a buggy one."""
    reports = {}
    for label, dtype, linear in [
        ("float64", np.float64, manual.Linear),
        ("float32", np.float32, manual.Linear),
        ("buggy", np.float64, MeanBiasLinear),
    ]:
        rng = np.random.default_rng(seed)  # the same weights and data for all three
        net = _network(rng, dtype, linear)
        x = rng.normal(size=(16, 4))
        y = rng.integers(0, 3, size=16)
        reports[label] = compare_gradients(net, manual.SoftmaxCrossEntropy(), x, y)
    r64, r32, bad = reports["float64"], reports["float32"], reports["buggy"]
    worst64, worst32 = _worst(r64), _worst(r32)
    measured = {
        "sources": r64.sources,
        "float64_ok": r64.ok,
        "float32_ok": r32.ok,
        "buggy_ok": bad.ok,
        "float64_max_relative_difference": worst64,
        "float32_max_relative_difference": worst32,
        "tolerance_float64": r64.tolerance,
        "tolerance_float32": r32.tolerance,
        "buggy_verdicts": {p.name: p.verdict for p in bad.params},
        "loss": r64.loss,
    }
    holds = r64.ok and r32.ok and not bad.ok

    def draw():
        fig, (ax,) = figure(width=12.8, height=5.4)
        pairs = list(worst64)
        k = np.arange(len(pairs))
        lowest = min([v for w in (worst64, worst32) for v in w.values() if v > 0] or [1e-16])
        for shift, worst, name, colour in [
            (-0.2, worst64, "float64", "#0072B2"),
            (0.2, worst32, "float32", "#E69F00"),
        ]:
            # A log axis has no 0: exact agreement is written as text, not faked as a tiny bar.
            x = [i + shift for i, p in enumerate(pairs) if worst[p] > 0]
            ax.bar(x, [worst[p] for p in pairs if worst[p] > 0], 0.4, label=name, color=colour)
            for i, p in enumerate(pairs):
                if worst[p] == 0:
                    ax.text(i + shift, lowest / 3, "0", ha="center", va="bottom", color=colour)
        for tol, name, colour in [
            (r64.tolerance, "float64", "#0072B2"),
            (r32.tolerance, "float32", "#E69F00"),
        ]:
            ax.axhline(tol, color=colour, ls="--", lw=1.5, label=f"{name} tolerance {tol:g}")
        ax.set_yscale("log")
        ax.set_ylim(lowest / 10, max(r32.tolerance, *worst32.values()) * 30)
        ax.set_xticks(k, [p.replace(" vs ", "\nvs ") for p in pairs])
        ax.set_ylabel("max relative difference")
        panel_title(ax, f"{len(r64.sources)} gradient sources, pairwise (0: exactly equal)")
        # Beside the plot, not on it: inside, a legend would cover a tolerance line.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        return fig

    flagged = {k: v for k, v in measured["buggy_verdicts"].items() if v != "OK"}
    # Without PyTorch installed there are three sources, and the verdict says so.
    without_torch = "" if "torch" in r64.sources else "; PyTorch is not installed, so not compared"
    return DemoResult(
        "gradient-check",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"correct network: all {len(r64.sources)} sources agree "
            f"({', '.join(r64.sources)}{without_torch}; float64 worst "
            f"{max(worst64.values()):.1e}, float32 worst {max(worst32.values()):.1e}); the buggy one is "
            f"flagged: " + "; ".join(f"{k}: {v}" for k, v in flagged.items()),
        ),
        notes=[TOLERANCE_NOTE.replace("\n", " "), "float64 report:\n" + str(r64).split("\n\n")[0]],
        headline=[
            "float64_max_relative_difference",
            "float32_max_relative_difference",
            "buggy_verdicts",
        ],
        figures={"differences": draw},
    )

"""Forgetting ``optimizer.zero_grad()``: the slide's "single most common PyTorch bug".

The same model, data, seed and optimizer (the slide's ``SGD(lr=0.01, momentum=0.9)``) are
trained twice, once with the loop's ``zero_grad()`` and once without it. Without it, each
``.grad`` is the running sum of every gradient so far, so the steps keep growing.
"""

from __future__ import annotations

import numpy as np

from chainrule.data import make_moons
from chainrule.demos._fit import evaluate, fit, mlp, predictor
from chainrule.demos._plot import decision_regions, figure
from chainrule.demos._result import DemoResult, Verdict
from chainrule.viz.plots import draw_series

CLAIM = (
    "Forgetting zero_grad() makes every step use the sum of all gradients so far: "
    "updates grow silently and training goes wrong."
)


def zero_grad_bug(seed: int = 0, quick: bool = False, epochs: int | None = None) -> DemoResult:
    """Train a 2-16-16-2 ReLU MLP on moons with and without ``zero_grad()``."""
    epochs = epochs or (8 if quick else 20)
    X, y = make_moons(200, noise=0.15, seed=seed)
    runs = {}
    for label, zero in [("correct", True), ("forgot", False)]:
        model = mlp([2, 16, 16, 2], seed=seed)
        hist = fit(
            model,
            X,
            y,
            epochs=epochs,
            lr=0.01,
            optimizer="sgd",
            momentum=0.9,
            batch_size=20,
            zero_grad=zero,
            seed=seed,
        )
        loss, acc = evaluate(model, X, y)
        runs[label] = (model, hist, loss, acc)
    (_, h_ok, loss_ok, acc_ok), (_, h_bad, loss_bad, acc_bad) = runs["correct"], runs["forgot"]
    growth = h_bad.grad_norm[-1] / h_ok.grad_norm[-1]
    measured = {
        "final_loss_correct": loss_ok,
        "final_loss_forgot": loss_bad,
        "accuracy_correct": acc_ok,
        "accuracy_forgot": acc_bad,
        "steps": len(h_ok.loss),
        "final_grad_norm_correct": h_ok.grad_norm[-1],
        "final_grad_norm_forgot": h_bad.grad_norm[-1],
        "grad_norm_ratio_at_end": growth,
        "loss_curve_correct": h_ok.loss,
        "loss_curve_forgot": h_bad.loss,
        "grad_norm_curve_correct": h_ok.grad_norm,
        "grad_norm_curve_forgot": h_bad.grad_norm,
    }
    holds = bool(loss_bad > 2 * loss_ok or not np.isfinite(loss_bad))

    def draw():
        fig, axes = figure(ncols=2, nrows=2, width=6.4, height=3.6)
        draw_series(
            axes[0],
            {"with zero_grad": h_ok.loss, "forgot zero_grad": h_bad.loss},
            log=True,
            title="training loss per batch",
        )
        draw_series(
            axes[1],
            {"with zero_grad": h_ok.grad_norm, "forgot zero_grad": h_bad.grad_norm},
            ylabel="‖.grad‖ used by the step",
            log=True,
            title="the gradient the optimizer sees",
        )
        decision_regions(
            axes[2], predictor(runs["correct"][0]), X, y, f"with zero_grad: acc {acc_ok:.2f}"
        )
        decision_regions(axes[3], predictor(runs["forgot"][0]), X, y, f"forgot: acc {acc_bad:.2f}")
        return fig

    return DemoResult(
        "zero-grad-bug",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"after {len(h_ok.loss)} steps the loss is {loss_ok:.3f} with zero_grad() and "
            f"{loss_bad:.3f} without; the forgotten run steps with a .grad "
            f"{growth:.0f}x larger than the correct run's.",
        ),
        notes=[
            "Not exactly 'k times the real gradient': the accumulated .grad is the sum of k different "
            "gradients, so it acts like momentum that never decays. With a small enough learning rate "
            "and no momentum it can even help for a while; with the slide's SGD(lr=0.01, momentum=0.9) "
            "it overshoots."
        ],
        headline=[
            "final_loss_correct",
            "final_loss_forgot",
            "accuracy_correct",
            "accuracy_forgot",
            "grad_norm_ratio_at_end",
        ],
        figures={"curves": draw},
    )

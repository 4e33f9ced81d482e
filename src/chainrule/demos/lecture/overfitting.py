"""Overfitting: a model too big for too little data.

A 2-128-128-2 MLP (about 17,000 parameters) learns 40 noisy moons points. Train, validation
and test sets come from the same distribution; the validation loss falls, reaches its
minimum, then rises while the training loss keeps falling. The test set is scored at the
validation minimum once, as the lecture says a test set should be.
"""

from __future__ import annotations

import numpy as np

from chainrule.data import make_moons
from chainrule.demos._fit import fit, mlp, predictor
from chainrule.demos._plot import decision_regions, figure
from chainrule.demos._result import DemoResult, Verdict
from chainrule.viz.plots import draw_series

CLAIM = (
    "Training loss keeps dropping; validation loss drops, then rises. The gap is overfitting: "
    "stop at the validation minimum."
)


def overfitting(
    seed: int = 0, quick: bool = False, n_train: int = 40, epochs: int | None = None
) -> DemoResult:
    """Train a big MLP on a few points; record train/val/test loss per epoch."""
    epochs = epochs or (120 if quick else 300)
    X, y = make_moons(n_train + 600, noise=0.3, seed=seed)
    splits = {
        "train": (X[:n_train], y[:n_train]),
        "val": (X[n_train : n_train + 300], y[n_train : n_train + 300]),
        "test": (X[n_train + 300 :], y[n_train + 300 :]),
    }
    model = mlp([2, 128, 128, 2], seed=seed)
    n_params = sum(p.numel() for p in model.parameters())
    hist = fit(model, *splits["train"], epochs=epochs, lr=0.01, eval_sets=splits, seed=seed)
    train, val, test = (hist.epoch_loss[k] for k in ("train", "val", "test"))
    best = int(np.argmin(val))
    measured = {
        "train_loss": train,
        "val_loss": val,
        "test_loss": test,
        "train_accuracy": hist.epoch_accuracy["train"],
        "val_accuracy": hist.epoch_accuracy["val"],
        "best_epoch": best + 1,  # epochs counted from 1
        "best_val_loss": val[best],
        "final_val_loss": val[-1],
        "final_train_loss": train[-1],
        "test_loss_at_best_epoch": test[best],
        "test_accuracy_at_best_epoch": hist.epoch_accuracy["test"][best],
        "gap_at_end": val[-1] - train[-1],
        "gap_at_best_epoch": val[best] - train[best],
        "parameters": n_params,
        "train_points": n_train,
    }
    holds = bool(val[-1] > 1.5 * val[best] and train[-1] < train[best] and best + 1 < epochs)

    def draw():
        fig, axes = figure(ncols=2, width=6.4, height=5.0)
        draw_series(
            axes[0],
            {"train": train, "validation": val, "test": test},
            xlabel="epoch",
            log=True,
            title=f"{n_params:,} parameters, {n_train} training points",
        )
        axes[0].axvline(best, color="k", ls="--", lw=0.8)
        axes[0].annotate(
            f"val minimum\nepoch {best + 1}",
            (best, val[best]),
            xytext=(8, 20),
            textcoords="offset points",
        )
        decision_regions(
            axes[1],
            predictor(model),
            *splits["train"],
            f"after {epochs} epochs: train acc {hist.epoch_accuracy['train'][-1]:.2f}, "
            f"val {hist.epoch_accuracy['val'][-1]:.2f}",
            size=25,
        )
        return fig

    return DemoResult(
        "overfitting",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"validation loss bottoms out at {val[best]:.3f} in epoch {best + 1}, then climbs to "
            f"{val[-1]:.3f} while training loss falls to {train[-1]:.1e}; the gap grows from "
            f"{measured['gap_at_best_epoch']:.3f} to {measured['gap_at_end']:.3f}. Test loss at the "
            f"validation minimum: {test[best]:.3f}.",
        ),
        notes=[
            "Accuracy moves much less than loss: an overconfident model keeps most labels right while "
            "its wrong answers become very expensive."
        ],
        headline=[
            "best_epoch",
            "best_val_loss",
            "final_val_loss",
            "final_train_loss",
            "test_loss_at_best_epoch",
        ],
        figures={"curves": draw},
    )

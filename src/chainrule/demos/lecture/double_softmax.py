"""The double softmax: ``nn.Softmax`` at the end of the model *and* ``cross_entropy`` after it.

``cross_entropy`` applies log-softmax itself, so the model's probabilities p get a second
softmax. Because p lies in [0, 1], softmax(p) can never be confident: the per-example loss
is at least log(1 + (K − 1)/e) (1.4612 for K = 10; derivation in
``chainrule.demos.diagnostics.double_softmax_floor``). We train the same MLP on the embedded MNIST
sample with the slide's loop (SGD, lr 0.01, momentum 0.9, batches of 64), with and without
the extra softmax, and compare with the slide's symptom ("stuck at ~2.30 = log 10").
"""

from __future__ import annotations

import math

import numpy as np

from chainrule._tensor import Tensor
from chainrule.data import load_mnist_sample, normalize, to_float
from chainrule.demos._fit import evaluate, fit, mlp
from chainrule.demos._plot import figure, panel_title
from chainrule.demos._result import DemoResult, Verdict
from chainrule.demos.diagnostics import double_softmax_floor
from chainrule.nn import functional as F

CLAIM = (
    "A softmax before cross_entropy (double softmax) cripples the loss: it can never fall below "
    "log(1 + (K-1)/e) = 1.46 for K = 10, while raw logits go towards 0. (The slide's symptom: "
    "'training loss stuck at ~2.30 (= log 10) and refusing to move'.)"
)


def double_softmax_loss(logits: Tensor, target: Tensor) -> Tensor:
    """The bug: cross_entropy of probabilities instead of logits."""
    return F.cross_entropy(F.softmax(logits, dim=1), target)


def floor_curve(num_classes: int, points: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """Loss of softmax(p) when p gives p_y = t and spreads 1 − t evenly: f(t), t in [0, 1]."""
    t = np.linspace(0.0, 1.0, points)
    rest = (1 - t) / (num_classes - 1)
    return t, -t + np.log(np.exp(t) + (num_classes - 1) * np.exp(rest))


def double_softmax(seed: int = 0, quick: bool = False, epochs: int | None = None) -> DemoResult:
    """Train 784-64-10 on the MNIST sample with and without the extra softmax."""
    x_train, y_train, x_test, y_test = load_mnist_sample()
    n_train = 2000 if quick else len(x_train)
    epochs = epochs or (3 if quick else 10)
    X, y = normalize(to_float(x_train[:n_train])), y_train[:n_train]
    Xt = normalize(to_float(x_test))
    K = 10
    floor = double_softmax_floor(K)

    runs = {}
    for label, loss_fn in [("double", double_softmax_loss), ("logits", F.cross_entropy)]:
        model = mlp([784, 64, 10], seed=seed)
        hist = fit(
            model,
            X,
            y,
            epochs=epochs,
            lr=0.01,
            optimizer="sgd",
            momentum=0.9,
            batch_size=64,
            loss_fn=loss_fn,
            seed=seed,
        )
        test_loss, test_acc = evaluate(model, Xt, y_test, loss_fn)
        runs[label] = (hist, test_loss, test_acc)
    per_epoch = len(runs["double"][0].loss) // epochs

    def epoch_means(losses: list[float]) -> list[float]:
        return [float(np.mean(losses[i * per_epoch : (i + 1) * per_epoch])) for i in range(epochs)]

    ds_hist, lg_hist = runs["double"][0], runs["logits"][0]
    final_ds, final_lg = epoch_means(ds_hist.loss)[-1], epoch_means(lg_hist.loss)[-1]
    measured = {
        "final_loss_double_softmax": final_ds,
        "final_loss_logits": final_lg,
        "loss_floor": floor,
        "log_K": math.log(K),
        "first_50_steps_mean_double_softmax": float(np.mean(ds_hist.loss[:50])),
        "min_batch_loss_double_softmax": float(min(ds_hist.loss)),
        "epoch_loss_double_softmax": epoch_means(ds_hist.loss),
        "epoch_loss_logits": epoch_means(lg_hist.loss),
        "test_accuracy_double_softmax": runs["double"][2],
        "test_accuracy_logits": runs["logits"][2],
        "test_loss_double_softmax": runs["double"][1],
        "test_loss_logits": runs["logits"][1],
        "epochs": epochs,
        "train_images": n_train,
        "steps": len(ds_hist.loss),
    }
    stuck = abs(final_ds - math.log(K)) < 0.1
    holds = (
        final_ds > floor > final_lg and measured["min_batch_loss_double_softmax"] >= floor - 1e-6
    )

    def draw():
        fig, axes = figure(ncols=2, width=6.4, height=6.0)
        ax = axes[0]
        ax.plot(ds_hist.loss, lw=0.8, label="softmax, then cross_entropy (bug)")
        ax.plot(lg_hist.loss, lw=0.8, label="logits into cross_entropy")
        ax.axhline(math.log(K), color="grey", ls=":", label="log 10 = 2.30 (slide's 'stuck' level)")
        ax.axhline(floor, color="k", ls="--", label=f"floor log(1+9/e) = {floor:.3f}")
        ax.set_xlabel("step (batch of 64)")
        ax.set_ylabel("training loss")
        panel_title(ax, "double softmax: slower, and floored")
        # Under both panels: inside either one it would cover a curve or the floor.
        fig.legend(loc="outside lower center", ncols=2)
        ax.grid(alpha=0.3)
        t, f = floor_curve(K)
        ax = axes[1]
        ax.plot(t, f, color="#D55E00")
        ax.axhline(floor, color="k", ls="--")
        ax.axhline(math.log(K), color="grey", ls=":")
        ax.set_xlabel("p_y, the true class's probability (rest even)")
        ax.set_ylabel("cross_entropy(softmax(p), y)")
        panel_title(ax, "the floor: even p = one-hot costs log(1+(K−1)/e)")
        ax.grid(alpha=0.3)
        return fig

    return DemoResult(
        "double-softmax",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"the loss is not frozen at 2.30: it falls from {ds_hist.loss[0]:.2f} to {final_ds:.3f} "
            f"(last-epoch mean) but never below the floor {floor:.4f}, while raw logits reach {final_lg:.3f}. "
            f"Test accuracy {runs['double'][2]:.3f} vs {runs['logits'][2]:.3f}: the bug slows learning and "
            f"hides the loss, it does not stop it.",
        ),
        notes=[
            f"Slide claim vs engine: 'stuck at ~2.30' {'matches' if stuck else 'does not match'} this run; "
            f"the mean over the first 50 steps is {measured['first_50_steps_mean_double_softmax']:.3f}. "
            "Early on the extra softmax Jacobian (entries ≤ 1/4, ~1/K near uniform) damps the gradient, "
            "so the loss lingers near log 10 before it moves; the lasting symptom is the floor at 1.46."
        ],
        headline=[
            "final_loss_double_softmax",
            "loss_floor",
            "final_loss_logits",
            "first_50_steps_mean_double_softmax",
            "test_accuracy_double_softmax",
            "test_accuracy_logits",
        ],
        figures={"curves": draw},
    )

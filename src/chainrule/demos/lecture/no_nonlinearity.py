"""The lab's Part B probe: "predict how training changes if the nonlinearity is removed".

The same 2-32-32-2 MLP, with the same initial weights, trained on two concentric circles
once with ReLU and once with the ReLUs replaced by Identity.
"""

from __future__ import annotations

from chainrule.data import make_circles
from chainrule.demos._fit import evaluate, fit, mlp, predictor
from chainrule.demos._plot import decision_regions, figure
from chainrule.demos._result import DemoResult, Verdict
from chainrule.viz.plots import draw_series

CLAIM = "Without a nonlinearity an MLP collapses to a linear model: on curved data it cannot do better than a line."


def no_nonlinearity(seed: int = 0, quick: bool = False, activation: str = "relu") -> DemoResult:
    """Train the same MLP with and without ``activation`` on circles; compare curves and boundaries."""
    epochs = 100 if quick else 300
    X, y = make_circles(300, noise=0.08, seed=seed)
    runs = {}
    for act in (activation, "none"):
        model = mlp([2, 32, 32, 2], activation=act, seed=seed)
        hist = fit(model, X, y, epochs=epochs, lr=0.01)
        runs[act] = (model, hist, evaluate(model, X, y)[1])
    acc_with, acc_without = runs[activation][2], runs["none"][2]
    measured = {
        "accuracy_with_relu": acc_with,
        "accuracy_without": acc_without,
        "activation": activation,
        "final_loss_with_relu": runs[activation][1].loss[-1],
        "final_loss_without": runs["none"][1].loss[-1],
        "loss_curve_with_relu": runs[activation][1].loss,
        "loss_curve_without": runs["none"][1].loss,
    }

    def draw():
        fig, axes = figure(ncols=3, width=4.2, height=4.4)
        draw_series(
            axes[0],
            {f"with {activation}": runs[activation][1].loss, "without": runs["none"][1].loss},
            xlabel="epoch (full batch)",
            title="training loss",
        )
        decision_regions(
            axes[1], predictor(runs[activation][0]), X, y, f"with {activation}: acc {acc_with:.2f}"
        )
        decision_regions(
            axes[2], predictor(runs["none"][0]), X, y, f"without: acc {acc_without:.2f}"
        )
        return fig

    return DemoResult(
        "no-nonlinearity",
        CLAIM,
        measured,
        Verdict(
            acc_with - acc_without > 0.2,
            f"with {activation} the MLP reaches {acc_with:.2f}; without it the loss stalls near ln 2 "
            f"({measured['final_loss_without']:.3f}) and accuracy is {acc_without:.2f}: a straight boundary.",
        ),
        headline=[
            "accuracy_with_relu",
            "accuracy_without",
            "final_loss_with_relu",
            "final_loss_without",
        ],
        figures={"curves": draw},
    )

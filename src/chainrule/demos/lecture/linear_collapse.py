"""Stacked linear layers collapse into one: W_eff = W2 W1, b_eff = W2 b1 + b2.

First the slide's numbers (x = [2, 3] through two 2x2 layers gives [9, 10] both ways), then
a 4-layer linear stack trained on spirals: folded into one Linear it gives the same outputs,
and it classifies no better than one layer, while the same stack with ReLU fits the spirals.
"""

from __future__ import annotations

import numpy as np

from chainrule._tensor import as_tensor
from chainrule.autograd import no_grad
from chainrule.data import make_spirals
from chainrule.demos._fit import evaluate, fit, mlp, predictor
from chainrule.demos._plot import decision_regions, figure
from chainrule.demos._result import DemoResult, Verdict
from chainrule.demos.diagnostics import collapse_linear
from chainrule.nn import functional as F
from chainrule.viz.plots import draw_series

CLAIM = (
    "A stack of linear layers without non-linearities is exactly one linear layer "
    "(slide: x=[2,3] gives [9,10] through both); depth without σ buys nothing."
)

# The slide's worked example (Part 2, "Worked numeric example · the collapse").
SLIDE = {
    "x": [2.0, 3.0],
    "W1": [[1.0, 0.0], [0.0, 1.0]],
    "b1": [1.0, 0.0],
    "W2": [[2.0, 1.0], [1.0, 2.0]],
    "b2": [0.0, 1.0],
}


def slide_collapse() -> dict[str, list]:
    """The slide's example through two layers and through W_eff, b_eff (float64)."""
    t = {k: as_tensor(np.array(v)) for k, v in SLIDE.items()}
    h = F.linear(t["x"], t["W1"], t["b1"])
    y = F.linear(h, t["W2"], t["b2"])
    W_eff, b_eff = t["W2"] @ t["W1"], t["W2"] @ t["b1"] + t["b2"]
    return {
        "h": h.tolist(),
        "y_two_layers": y.tolist(),
        "W_eff": W_eff.tolist(),
        "b_eff": b_eff.tolist(),
        "W_eff_x": (W_eff @ t["x"]).tolist(),
        "y_one_layer": (W_eff @ t["x"] + b_eff).tolist(),
    }


def linear_collapse(seed: int = 0, quick: bool = False) -> DemoResult:
    """The slide's collapse, then a trained deep linear stack folded into one layer."""
    slide = slide_collapse()
    epochs = 100 if quick else 400
    X, y = make_spirals(300, n_classes=3, seed=seed)
    sizes = [2, 64, 64, 64, 3]

    stack = mlp(
        sizes, activation="none", seed=seed
    )  # Linear, Identity, Linear, ... (same init as ReLU)
    h_lin = fit(stack, X, y, epochs=epochs, lr=0.01)
    relu = mlp(sizes, activation="relu", seed=seed)
    h_relu = fit(relu, X, y, epochs=epochs, lr=0.01)
    single = mlp([2, 3], seed=seed)
    h_single = fit(single, X, y, epochs=epochs, lr=0.01)

    # Fold the trained stack into one layer twice: as trained (float32), and after casting the
    # stack to float64, where the difference measures the algebra rather than float32 rounding.
    one = collapse_linear(stack)
    with no_grad():
        x32 = as_tensor(X)
        diff32 = float(np.max(np.abs(stack(x32).numpy() - one(x32).numpy())))
        stack.double()
        one64 = collapse_linear(stack)
        x64 = as_tensor(X.astype(np.float64))
        diff64 = float(np.max(np.abs(stack(x64).numpy() - one64(x64).numpy())))
        stack.float()

    measured = {
        "slide": slide,
        "max_abs_difference": diff64,
        "max_abs_difference_float32": diff32,
        "linear_stack_accuracy": evaluate(stack, X, y)[1],
        "single_linear_accuracy": evaluate(single, X, y)[1],
        "relu_accuracy": evaluate(relu, X, y)[1],
        "collapsed_weight_shape": list(one.weight.shape),
        "loss_curve_linear_stack": h_lin.loss,
        "loss_curve_single": h_single.loss,
        "loss_curve_relu": h_relu.loss,
    }
    holds = (
        slide["y_two_layers"] == slide["y_one_layer"] == [9.0, 10.0]
        and diff64 < 1e-5
        and measured["relu_accuracy"] - measured["linear_stack_accuracy"] > 0.3
    )

    def draw():
        fig, axes = figure(ncols=2, nrows=2, width=6.4, height=3.6)
        decision_regions(
            axes[0],
            predictor(stack),
            X,
            y,
            f"4 linear layers: acc {measured['linear_stack_accuracy']:.2f}",
        )
        decision_regions(axes[1], predictor(one), X, y, "the same, folded into 1 layer")
        decision_regions(
            axes[2],
            predictor(relu),
            X,
            y,
            f"4 layers with ReLU: acc {measured['relu_accuracy']:.2f}",
        )
        draw_series(
            axes[3],
            {
                "4 linear layers": h_lin.loss,
                "1 linear layer": h_single.loss,
                "with ReLU": h_relu.loss,
            },
            xlabel="epoch",
            log=True,
            title="training loss",
        )
        return fig

    return DemoResult(
        "linear-collapse",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"the slide's example gives {slide['y_two_layers']} both ways; the trained 4-layer linear "
            f"stack equals its folded single layer to {diff64:.1e} (float64; {diff32:.1e} in float32) "
            f"and scores {measured['linear_stack_accuracy']:.2f} like one layer "
            f"({measured['single_linear_accuracy']:.2f}), vs {measured['relu_accuracy']:.2f} with ReLU.",
        ),
        headline=[
            "max_abs_difference",
            "linear_stack_accuracy",
            "single_linear_accuracy",
            "relu_accuracy",
        ],
        figures={"boundaries": draw},
    )

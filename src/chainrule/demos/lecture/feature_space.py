"""Feature space: a hidden layer reshapes the data so the last, linear layer's job is easy.

Three interleaved spirals go through 2 → 64 → 64 → 2 → 3 (tanh, with a 2-unit bottleneck
before the output layer). Plotting the bottleneck's 2-D output shows the spirals "unrolled":
the output layer is linear, so whatever it gets right there, it separates with one line.
"""

from __future__ import annotations

from chainrule._tensor import as_tensor
from chainrule.autograd import no_grad
from chainrule.data import make_spirals
from chainrule.demos._fit import evaluate, fit, mlp, predictor
from chainrule.demos._plot import decision_regions, figure
from chainrule.demos._result import DemoResult, Verdict

CLAIM = (
    "A hidden layer reshapes the data: spirals that no straight line separates are unrolled into "
    "bands that the final linear layer separates."
)


def feature_space(seed: int = 0, quick: bool = False) -> DemoResult:
    """Train a tanh MLP with a 2-D bottleneck on spirals; show input space and hidden space."""
    epochs = 200 if quick else 400
    X, y = make_spirals(450, n_classes=3, noise=0.1, seed=seed)
    model = mlp([2, 64, 64, 2, 3], activation="tanh", seed=seed)
    hist = fit(model, X, y, epochs=epochs, lr=0.01)
    acc = evaluate(model, X, y)[1]
    body, head = model[:-1], model[-1]  # everything up to the bottleneck's tanh; the last Linear
    with no_grad():
        H = body(as_tensor(X)).numpy()  # (n, 2): each point's position in feature space

    linear = mlp([2, 3], seed=seed)  # a line on the raw input, for comparison
    fit(linear, X, y, epochs=epochs, lr=0.01)
    raw_acc = evaluate(linear, X, y)[1]
    head_acc = evaluate(head, H, y)[
        1
    ]  # the last layer alone, on the features: a line in that plane
    measured = {
        "linear_accuracy_input_space": raw_acc,
        "linear_accuracy_feature_space": head_acc,
        "mlp_accuracy": acc,
        "final_loss": hist.loss[-1],
        "hidden_features_sample": H[:10],
    }

    def draw():
        fig, axes = figure(ncols=3, width=4.2, height=4.6)
        decision_regions(
            axes[0], predictor(linear), X, y, f"input space: best line gets {raw_acc:.2f}", size=8
        )
        decision_regions(
            axes[1], predictor(model), X, y, f"the MLP's boundary in input space: {acc:.2f}", size=8
        )
        decision_regions(
            axes[2],
            predictor(head),
            H,
            y,
            f"feature space: the linear output layer gets {head_acc:.2f}",
            size=8,
            margin=0.1,
        )
        axes[2].set_xlabel("hidden unit 1 (tanh)")
        axes[2].set_ylabel("hidden unit 2 (tanh)")
        return fig

    return DemoResult(
        "feature-space",
        CLAIM,
        measured,
        Verdict(
            head_acc - raw_acc > 0.25 and head_acc > 0.9,
            f"a straight line on the raw input scores {raw_acc:.2f}; the same kind of line (the output layer) "
            f"on the learned 2-D features scores {head_acc:.2f}.",
        ),
        notes=[
            "The bottleneck uses tanh so its 2-D output is bounded and easy to plot; a ReLU bottleneck "
            "works too but folds points onto the axes."
        ],
        headline=["linear_accuracy_input_space", "linear_accuracy_feature_space", "mlp_accuracy"],
        figures={"spaces": draw},
    )

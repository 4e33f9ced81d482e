"""The lab's toy example: a 2-1-1 sigmoid network, small enough to backpropagate by hand.

It has the slides' shape (one input, one sigmoid hidden unit, one sigmoid output,
binary cross-entropy) but its own numbers, so the slide's worked answer cannot be
copied into Part B:

    z₁ = w₁ x + b₁,   h = σ(z₁),   z₂ = w₂ h + b₂,   ŷ = σ(z₂),   L = BCE(ŷ, y)

with x = 3, y = 0, w₁ = 0.5, b₁ = 0, w₂ = −1, b₂ = 0, and SGD with η = 0.5 on all four
parameters. The backward pass, using the BCE + sigmoid identity dL/dz₂ = ŷ − y:

    δ₂ = ŷ − y,   dL/dw₂ = δ₂ h,   dL/db₂ = δ₂,
    δ₁ = w₂ δ₂ σ'(z₁),   dL/dw₁ = δ₁ x,   dL/db₁ = δ₁

``engine_gradients`` computes them; ``toy_gradients``, the one the lab notebook calls,
shows them only once a Part B prediction is stored (``chainrule.lab.predictions``), so
running the notebook cannot give the graded answer away before the guess.

>>> g = engine_gradients()
>>> round(g["w1"], 4), round(g["w2"], 4)
(-0.137, 0.2504)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from chainrule.lab import predictions
from chainrule.scalar import Value, bce_with_logits

#: The parameters whose gradient the lab asks about.
WEIGHTS = ("w1", "b1", "w2", "b2")


@dataclass(frozen=True)
class ToyNet:
    """The toy example's numbers (input, target, parameters, learning rate)."""

    x: float = 3.0
    y: float = 0.0
    w1: float = 0.5
    b1: float = 0.0
    w2: float = -1.0
    b2: float = 0.0
    lr: float = 0.5


TOY = ToyNet()


def toy_forward(net: ToyNet = TOY) -> tuple[dict[str, Value], dict[str, Value]]:
    """Build the toy's graph with scalar Values: (parameters, intermediates incl. the loss)."""
    params = {k: Value(getattr(net, k), label=k) for k in WEIGHTS}
    x = Value(net.x, label="x")
    z1 = params["w1"] * x + params["b1"]
    h = z1.sigmoid()
    z2 = params["w2"] * h + params["b2"]
    loss = bce_with_logits(z2, net.y)  # the stable form of −[y log ŷ + (1 − y) log(1 − ŷ)]
    for name, v in (("z1", z1), ("h", h), ("z2", z2), ("L", loss)):
        v.label = name
    return params, {"z1": z1, "h": h, "z2": z2, "L": loss}


def toy_after(steps: int = 0, net: ToyNet = TOY) -> ToyNet:
    """The toy's parameters after ``steps`` SGD updates of all four (θ ← θ − η dL/dθ)."""
    if steps < 0:
        raise ValueError(f"toy_after: steps must be >= 0, got {steps}")
    for _ in range(steps):
        grads = engine_gradients(0, net)
        net = replace(net, **{k: getattr(net, k) - net.lr * grads[k] for k in WEIGHTS})
    return net


class PredictFirstError(RuntimeError):
    """The toy's gradients were asked for before any Part B prediction was stored."""


def toy_gradients(steps: int = 0, net: ToyNet = TOY) -> dict[str, float]:
    """``engine_gradients``, once a prediction is stored; before that, a PredictFirstError."""
    if not predictions.any_answered():
        raise PredictFirstError(
            "toy_gradients: make your Part B prediction first: "
            "check_gradient_prediction('w1', sign, magnitude) stores it, then the gradients show"
        )
    return engine_gradients(steps, net)


def engine_gradients(steps: int = 0, net: ToyNet = TOY) -> dict[str, float]:
    """dL/d(parameter) for every parameter, after ``steps`` SGD updates of all four.

    Also returns the forward values under the keys ``z1``, ``h``, ``y_hat`` and ``loss``.
    """
    params, mid = toy_forward(toy_after(steps, net))
    mid["L"].backward()
    out = {k: p.grad for k, p in params.items()}
    out.update(
        z1=mid["z1"].data,
        h=mid["h"].data,
        y_hat=1 / (1 + math.exp(-mid["z2"].data)),
        loss=mid["L"].data,
    )
    return out

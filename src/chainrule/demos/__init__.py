"""The lecture's claims, run: one function per demo, each returning a ``DemoResult``.

>>> from chainrule.demos import run_demo
>>> result = run_demo("grad-accumulation")
>>> result.measured["grad_ratio"], result.verdict.holds
(2.0, True)

``chainrule demo --list`` prints the names below; ``chainrule demo NAME --out DIR`` runs one,
prints its narration and writes ``DIR/NAME.json`` and its figures. Every demo takes ``seed=``
and ``quick=`` (a smaller, faster run for tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chainrule.demos._result import DemoResult, Verdict
from chainrule.demos.lecture.backprop_by_hand import backprop_by_hand
from chainrule.demos.lecture.curvature import curvature
from chainrule.demos.lecture.double_softmax import double_softmax
from chainrule.demos.lecture.feature_space import feature_space
from chainrule.demos.lecture.forward_vs_reverse import forward_vs_reverse
from chainrule.demos.lecture.grad_accumulation import grad_accumulation
from chainrule.demos.lecture.gradient_check import gradient_check
from chainrule.demos.lecture.init_schemes import init_schemes
from chainrule.demos.lecture.linear_collapse import linear_collapse
from chainrule.demos.lecture.no_nonlinearity import no_nonlinearity
from chainrule.demos.lecture.overfitting import overfitting
from chainrule.demos.lecture.softmax_ce_gradient import softmax_ce_gradient
from chainrule.demos.lecture.vanishing_gradients import vanishing_gradients
from chainrule.demos.lecture.xor import xor
from chainrule.demos.lecture.zero_grad_bug import zero_grad_bug

__all__ = [
    "DemoResult",
    "Verdict",
    "Demo",
    "DEMOS",
    "run_demo",
    *[
        "backprop_by_hand",
        "double_softmax",
        "feature_space",
        "grad_accumulation",
        "gradient_check",
        "init_schemes",
        "linear_collapse",
        "forward_vs_reverse",
        "curvature",
        "no_nonlinearity",
        "overfitting",
        "softmax_ce_gradient",
        "vanishing_gradients",
        "xor",
        "zero_grad_bug",
    ],
]


@dataclass(frozen=True)
class Demo:
    """A registry entry: the CLI name, a one-line description and the function."""

    name: str
    description: str
    run: Callable[..., DemoResult]


#: CLI name -> demo, in the lecture's order.
DEMOS: dict[str, Demo] = {
    d.name: d
    for d in [
        Demo(
            "grad-accumulation",
            "a second backward() without zero_grad() doubles .grad",
            grad_accumulation,
        ),
        Demo("zero-grad-bug", "training that forgets zero_grad(): both loss curves", zero_grad_bug),
        Demo(
            "xor",
            "XOR: no line fits it, a 2-hidden-unit ReLU MLP does (and the slide's weights)",
            xor,
        ),
        Demo(
            "linear-collapse",
            "stacked linear layers are one linear layer (slide numbers, spirals)",
            linear_collapse,
        ),
        Demo(
            "no-nonlinearity",
            "lab Part B: the same MLP with and without its activation",
            no_nonlinearity,
        ),
        Demo(
            "feature-space",
            "a hidden layer unrolls the spirals so a line separates them",
            feature_space,
        ),
        Demo(
            "softmax-ce-gradient",
            "dL/dz = softmax(z) - y, autograd vs formula, push and pull",
            softmax_ce_gradient,
        ),
        Demo(
            "double-softmax",
            "softmax before cross_entropy: the loss floor log(1 + (K-1)/e)",
            double_softmax,
        ),
        Demo(
            "backprop-by-hand",
            "the slides' 2-1-1 sigmoid network, every number, one SGD step",
            backprop_by_hand,
        ),
        Demo(
            "vanishing-gradients",
            "10 sigmoid layers vs ReLU + He: gradient norm per layer",
            vanishing_gradients,
        ),
        Demo("init", "N(0,1) vs Xavier vs He: activations and gradients per layer", init_schemes),
        Demo("overfitting", "too big a model, too little data: train/val/test curves", overfitting),
        Demo(
            "gradient-check",
            "lab Part C: hand vs autograd vs finite differences vs PyTorch",
            gradient_check,
        ),
        Demo(
            "forward-vs-reverse",
            "the full gradient in both AD modes for n = 10..10^5: passes and time on log axes",
            forward_vs_reverse,
        ),
        Demo(
            "curvature",
            "Hessian-vector products, λ_max by power iteration, and the step size 2/λ_max",
            curvature,
        ),
    ]
}


def run_demo(name: str, seed: int = 0, quick: bool = False) -> DemoResult:
    """Run the demo registered as ``name``."""
    if name not in DEMOS:
        raise KeyError(f"unknown demo {name!r}; choose one of: {', '.join(DEMOS)}")
    return DEMOS[name].run(seed=seed, quick=quick)

"""Gradients accumulate: a second ``backward()`` without ``zero_grad()`` doubles ``.grad``.

The lecture's "predict, then run" question. As in PyTorch, a second backward through the
*same* graph needs ``retain_graph=True`` on the first one (the first frees the saved values);
this demo shows that error, then does the second backward on the retained graph.
"""

from __future__ import annotations

import numpy as np

from chainrule._tensor import as_tensor
from chainrule.demos._fit import mlp
from chainrule.demos._plot import figure
from chainrule.demos._result import DemoResult, Verdict
from chainrule.nn import functional as F

CLAIM = "After two backward() calls on the same loss with no zero_grad(), .grad holds twice the single-step gradient."


def grad_accumulation(seed: int = 0, quick: bool = False) -> DemoResult:
    """Backward twice into an MLP's weights, compare, then zero the gradients."""
    rng = np.random.default_rng(seed)
    model = mlp([3, 4, 2], seed=seed)  # a 3-4-2 ReLU MLP: few enough numbers to print
    x = as_tensor(rng.standard_normal((5, 3)).astype(np.float32))
    target = as_tensor(rng.integers(0, 2, size=5))
    weight = model[0].weight  # (4, 3): the first layer's weight

    # Without retain_graph the first backward frees the graph, and a second one fails.
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    try:
        loss.backward()
        freed_error = ""
    except RuntimeError as e:
        freed_error = str(e)
    model.zero_grad()

    loss = F.cross_entropy(model(x), target)
    loss.backward(retain_graph=True)  # keep the graph for the second call
    first = weight.grad.numpy().copy()
    loss.backward()  # same graph, no zero_grad: adds the same gradient again
    second = weight.grad.numpy().copy()
    nonzero = first != 0
    ratios = second[nonzero] / first[nonzero]
    # Rebuilding the forward instead of retaining the graph gives the same accumulation.
    F.cross_entropy(model(x), target).backward()
    third = weight.grad.numpy().copy()
    model.zero_grad()  # set_to_none=True, PyTorch's default: .grad becomes None
    after_zero = weight.grad

    ratio = float(ratios.min()) if ratios.min() == ratios.max() else float("nan")
    holds = bool(np.array_equal(second, 2 * first)) and after_zero is None
    measured = {
        "grad_first": first,
        "grad_second": second,
        "grad_ratio": ratio,
        "grad_ratio_min": float(ratios.min()),
        "grad_ratio_max": float(ratios.max()),
        "grad_third_rebuilt_forward": third,
        "third_equals_3x_first": bool(np.allclose(third, 3 * first, rtol=1e-6)),
        "grad_after_zero_grad": None if after_zero is None else after_zero.numpy(),
        "second_backward_without_retain_graph": freed_error or "no error",
        "loss": float(loss.item()),
    }

    def draw():
        fig, (ax,) = figure(width=12.8, height=5.0)
        k = np.arange(first.size)
        ax.bar(k - 0.3, first.ravel(), 0.3, label="after 1st backward")
        ax.bar(k, second.ravel(), 0.3, label="after 2nd (no zero_grad)")
        ax.bar(k + 0.3, third.ravel(), 0.3, label="after a 3rd, forward rebuilt")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel("entry of layer-1 weight (4x3, row-major)")
        ax.set_ylabel(".grad")
        ax.set_title("Gradients accumulate; zero_grad() sets .grad to None")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        return fig

    return DemoResult(
        "grad-accumulation",
        CLAIM,
        measured,
        Verdict(
            holds,
            f"every nonzero entry of .grad went from g to exactly {ratio:g}·g; after zero_grad() "
            f".grad is {after_zero!r}.",
        ),
        notes=[
            "The second backward reuses the first graph via retain_graph=True; without it chainrule, "
            "like PyTorch, raises: "
            + (freed_error.split(".")[0] if freed_error else "(no error)")
            + ".",
            "Rebuilding the forward and calling backward again accumulates too (3x after three calls).",
        ],
        headline=["grad_ratio", "third_equals_3x_first", "grad_after_zero_grad"],
        figures={"grads": draw},
    )

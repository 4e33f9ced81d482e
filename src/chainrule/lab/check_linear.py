"""Check a hand-written linear-layer backward pass and name the mistake.

The layer is the slides' batched one in PyTorch's layout, Z = X Wᵀ + b with W of shape
(d_out, d_in) like ``nn.Linear.weight``, and its backward pass is three lines
(``chainrule.lab.manual.Linear`` is the reference):

    dW = gᵀ X         (d_out, d_in): every example adds its outer product gᵢ xᵢᵀ (∂L/∂W = δ xᵀ)
    db = Σᵢ gᵢ        (d_out,):      b is added to every row, so its gradient sums them
    dX = g W          (B, d_in):     each input gets the weighted blame of every output

A dW of shape (d_in, d_out), the transpose, is a mistake even when its numbers are right:
a gradient has its weight's shape, or ``W -= lr * dW`` cannot run.

The checker runs your code on its own small batch (B = 4, d_in = 3, d_out = 2: every
size different, so a transpose or a missing sum shows up in the shape) and compares.

>>> import numpy as np
>>> def backward(X, W, delta):
...     return delta.T @ X, delta.sum(axis=0), delta @ W
>>> check_linear_backward(backward).ok
True
>>> def backward_last_only(X, W, delta):
...     for i in range(len(X)):
...         dW = np.outer(delta[i], X[i])          # = instead of += : the loop overwrites
...     return dW, delta.sum(axis=0), delta @ W
>>> check_linear_backward(backward_last_only).mistakes
{'dW': 'last example only'}
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from chainrule.lab import manual
from chainrule.lab.feedback import CheckResult, Finding, find_mistake

B, D_IN, D_OUT = 4, 3, 2

_SUM_HINT = {
    "dW": "dW adds up every example's outer product gᵢ xᵢᵀ; gᵀ X does the whole sum in one "
    "product. In a loop, start from zeros and use += for every i in range(B).",
    "db": "db = Σᵢ gᵢ: delta.sum(axis=0) adds the rows of every example in the batch.",
}

HINTS: dict[tuple[str, str], str] = {
    (
        "dW",
        "transposed",
    ): "one line: dW = delta.T @ X, which has W's shape (d_out, d_in).",
    ("dX", "transposed"): "dX must have X's shape (B, d_in): compute g W (delta @ W).",
    ("db", "transposed"): "db has one entry per output unit, shape (d_out,).",
    ("forward", "transposed"): "W is (d_out, d_in) here, so the forward pass is X @ W.T + b.",
    (
        "dW",
        "extra 1/B",
    ): "a linear layer does not average: g = dL/dZ already carries the loss's 1/B.",
    ("db", "extra 1/B"): "sum the rows of g (delta.sum(axis=0)), do not average them: "
    "g already carries the loss's 1/B.",
    ("dX", "extra 1/B"): "dX = g Wᵀ has no 1/B: each example's row is its own gradient.",
    ("dW", "first example only"): _SUM_HINT["dW"],
    ("dW", "last example only"): _SUM_HINT["dW"],
    ("dW", "one example only"): _SUM_HINT["dW"],
    ("dW", "stopped early"): _SUM_HINT["dW"] + " Check the loop's range.",
    ("dW", "skipped an example"): _SUM_HINT["dW"] + " Check the loop's range.",
    ("dW", "not summed over the batch"): "sum the per-example gradients over the batch axis, "
    "or use delta.T @ X, which sums for you.",
    ("db", "first example only"): _SUM_HINT["db"],
    ("db", "last example only"): _SUM_HINT["db"],
    ("db", "one example only"): _SUM_HINT["db"],
    ("db", "stopped early"): _SUM_HINT["db"],
    ("db", "skipped an example"): _SUM_HINT["db"],
    ("db", "not summed over the batch"): "b is shared by every example, so db sums g over the "
    "batch: delta.sum(axis=0), shape (d_out,).",
    ("dW", "wrong values"): "dW = gᵀ X (delta.T @ X), with X the layer's input saved by forward.",
    ("db", "wrong values"): "db = Σᵢ gᵢ = delta.sum(axis=0).",
    ("dX", "wrong values"): "dX = g W: input j gets Σₖ gₖ W[k, j] from every output k it fed.",
    ("forward", "wrong values"): "the forward pass is Z = X @ W.T + b.",
}


def _sign_hint(name: str) -> str:
    return (
        f"Z = XWᵀ + b has no minus sign, so {name} has none either; the minus belongs "
        "to the update W -= lr * dW."
    )


def _hint(name: str, mistake: str) -> str:
    if mistake == "sign":
        return _sign_hint(name)
    if mistake == "missing 1/B":
        return "do not multiply by the batch size: g already says how much each example counts."
    return HINTS.get((name, mistake), HINTS.get((name, "wrong values"), ""))


def linear_example(seed: int = 0) -> dict[str, np.ndarray]:
    """The checker's batch: X (4, 3), W (2, 3), b (2,), g (4, 2), float64, all entries nonzero."""
    rng = np.random.default_rng(seed)

    def draw(*shape: int) -> np.ndarray:  # entries away from 0, so no product vanishes by chance
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)

    return {"X": draw(B, D_IN), "W": draw(D_OUT, D_IN), "b": draw(D_OUT), "delta": draw(B, D_OUT)}


def _transposed_dW(got: tuple[int, ...], w: tuple[int, ...]) -> str:
    """The transposed-dW diagnosis: both shapes and the layout they should share."""
    if got == w:  # square W: the shapes cannot tell, the values did
        return (
            f"your dW holds the transpose of the right values (W is square, {w}); "
            "the layout is (d_out, d_in), as in PyTorch's nn.Linear.weight"
        )
    return (
        f"your dW has shape {got} but W has shape {w}; a gradient has its weight's shape, "
        "and W is (d_out, d_in), as in PyTorch's nn.Linear.weight, so X.T @ delta is the "
        "transpose of the answer"
    )


def _error(name: str, exc: Exception, ex: dict[str, np.ndarray]) -> Finding:
    shapes = ", ".join(f"{k} {v.shape}" for k, v in ex.items())
    return Finding(
        name,
        False,
        "error",
        f"your code raised {type(exc).__name__}: {exc}",
        hint=f"the checker's shapes are {shapes}; W is (d_out, d_in), as in PyTorch.",
    )


def _layer_gradients(impl: Any, ex: dict[str, np.ndarray]) -> tuple[dict[str, Any], list[Finding]]:
    """Run a manual-style layer (class or instance): forward, then backward; collect what it made."""
    cls = impl if inspect.isclass(impl) else type(impl)
    findings: list[Finding] = []
    try:
        layer = cls(ex["W"].copy(), ex["b"].copy())
        Z = layer.forward(ex["X"].copy())
    except Exception as e:  # noqa: BLE001 - any failure in student code becomes feedback
        return {}, [_error("forward", e, ex)]
    forward = find_mistake("forward", Z, ex["X"] @ ex["W"].T + ex["b"])
    forward.hint = _hint("forward", forward.mistake) if not forward.ok else ""
    findings.append(forward)
    try:
        dX = layer.backward(ex["delta"].copy())
    except Exception as e:  # noqa: BLE001
        return {}, findings + [_error("backward", e, ex)]
    grads = getattr(layer, "grads", None) or {}
    got = {
        "dW": grads.get("W", getattr(layer, "dW", None)),
        "db": grads.get("b", getattr(layer, "db", None)),
        "dX": dX,
    }
    return got, findings


def check_linear_backward(impl: Callable[..., Any] | Any, seed: int = 0) -> CheckResult:
    """Check your linear-layer backward pass: dW = gᵀ X, db = Σᵢ gᵢ, dX = g W (W is (out, in)).

    ``impl`` is either

    - a function ``backward(X, W, delta) -> (dW, db, dX)``, or
    - a layer in the style of ``chainrule.lab.manual.Linear`` (the class or an instance):
      built as ``cls(W, b)``, it must store ``grads["W"]`` and ``grads["b"]`` in
      ``backward(delta)`` and return dX.

    The result names each wrong gradient, its worst element and the likely mistake.
    """
    ex = linear_example(seed)
    findings: list[Finding] = []
    if inspect.isclass(impl) or hasattr(impl, "backward"):
        got, findings = _layer_gradients(impl, ex)
        if not got:
            return CheckResult.from_findings("Linear.backward", findings, "")
    else:
        try:
            out = impl(ex["X"].copy(), ex["W"].copy(), ex["delta"].copy())
        except NotImplementedError:
            out = None
        except Exception as e:  # noqa: BLE001
            return CheckResult.from_findings("linear backward", [_error("backward", e, ex)], "")
        if out is None:
            return CheckResult.from_findings(
                "linear backward",
                [
                    Finding(
                        "backward",
                        False,
                        "not answered",
                        "not written yet (it returned None or raised NotImplementedError)",
                    )
                ],
                "",
            )
        if isinstance(out, dict):
            out = (out.get("dW"), out.get("db"), out.get("dX"))
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            return CheckResult.from_findings(
                "linear backward",
                [
                    Finding(
                        "backward",
                        False,
                        "wrong shape",
                        "it must return three arrays: (dW, db, dX)",
                    )
                ],
                "",
            )
        got = dict(zip(("dW", "db", "dX"), out))

    ref = manual.Linear(ex["W"], ex["b"])
    ref.forward(ex["X"])
    expected = {"dX": ref.backward(ex["delta"]), "dW": ref.grads["W"], "db": ref.grads["b"]}
    per_example = {
        "dW": ex["delta"][:, :, None] * ex["X"][:, None, :],  # gᵢ xᵢᵀ, (B, d_out, d_in)
        "db": ex["delta"],
    }  # gᵢ, (B, d_out)
    for name in ("dW", "db", "dX"):
        f = find_mistake(
            name, got[name], expected[name], batch_size=B, per_example=per_example.get(name)
        )
        if not f.ok and f.mistake == "not answered":
            f.hint = (
                f"store it as self.grads['{name[1:]}']"
                if name != "dX"
                else "return it from backward"
            )
        elif not f.ok:
            if f.mistake == "extra 1/B":  # diagnose's wording assumes the 1/B was applied twice
                f.explanation = f"it is {B}x too small: it divides by the batch size B = {B}"
            if f.mistake == "transposed" and name == "dW":
                f.explanation = _transposed_dW(np.shape(got[name]), ex["W"].shape)
            f.hint = _hint(name, f.mistake or "wrong values")
        findings.append(f)
    title = (
        "Linear.backward"
        if inspect.isclass(impl) or hasattr(impl, "backward")
        else "linear backward"
    )
    return CheckResult.from_findings(
        title, findings, "dW, db and dX all match the reference (dW = gᵀ X, db = Σᵢ gᵢ, dX = g W)."
    )

"""Check a predicted gradient (its sign and rough size) on the lab's toy example.

Part B of the lab asks for a prediction before any code runs: on the toy 2-1-1 network
(``chainrule.lab.toy``), is dL/dw₁ positive or negative, and roughly how big? Every
gradient of that network is a product of a few factors,

    dL/dw₂ = δ₂ · h                 dL/db₂ = δ₂                    (δ₂ = ŷ − y)
    dL/dw₁ = w₂ · δ₂ · σ'(z₁) · x   dL/db₁ = w₂ · δ₂ · σ'(z₁)

so the feedback can say which factor's sign was missed, and, when the size is off,
which factor was left out. "Rough" means within a factor of 2.5: using σ' ≤ 1/4
instead of its exact value is good reasoning and passes.

A prediction is stored first and judged after: ``check_gradient_prediction`` only records
the guess (it prints nothing about the answer); ``reveal_prediction``, run once the student
has computed the gradient, compares. ``grade_prediction`` is the comparison itself, on any
toy network (the grader runs it on the student's own).

>>> grade_prediction("w1", "-", 0.1).ok
True
>>> grade_prediction("w1", "-", 0.046).mistakes      # forgot the input x = 3
{'magnitude': 'left out a factor'}
>>> predictions.clear()
>>> print(check_gradient_prediction("w1", "-", 0.1))   # doctest: +ELLIPSIS
Recorded your prediction for dL/dw1: sign '-', size about 0.1. Now compute it ...
>>> reveal_prediction("w1").ok
True
>>> predictions.clear()
"""

from __future__ import annotations

import math
from typing import Any

from chainrule.lab import predictions
from chainrule.lab.feedback import CheckResult, Finding
from chainrule.lab.toy import TOY, WEIGHTS, ToyNet, engine_gradients, toy_after

#: A predicted magnitude passes when it is within this factor of the true one.
ROUGH_FACTOR = 2.5

_SIGNS = {"+": 1, "-": -1, "positive": 1, "negative": -1, "pos": 1, "neg": -1, "−": -1}


def _factors(weight: str, steps: int, net: ToyNet = TOY) -> list[tuple[str, float, str]]:
    """(symbol, value, meaning) of each factor whose product is dL/d(weight)."""
    g = engine_gradients(steps, net)
    net = toy_after(steps, net)
    h, y_hat = g["h"], g["y_hat"]
    delta2 = (
        "δ₂",
        y_hat - net.y,
        f"the output error ŷ − y: ŷ = {y_hat:.3g} against the target y = {net.y:g}",
    )
    back = [
        ("w₂", net.w2, "the weight the error flows back through"),
        ("σ'(z₁)", h * (1 - h), "the hidden sigmoid's slope, always positive and at most 1/4"),
    ]
    return {
        "w2": [delta2, ("h", h, "the hidden unit's output")],
        "b2": [delta2],
        "w1": [delta2, *back, ("x", net.x, "the input")],
        "b1": [delta2, *back],
    }[weight]


def _parse_sign(sign: Any) -> int | None:
    if isinstance(sign, str):
        return _SIGNS.get(sign.strip().lower())
    if isinstance(sign, (int, float)) and sign != 0 and not isinstance(sign, bool):
        return 1 if sign > 0 else -1
    return None


def _check_weight(caller: str, weight: str) -> None:
    if weight not in WEIGHTS:
        raise ValueError(f"{caller}: weight must be one of {WEIGHTS}, got {weight!r}")


def check_gradient_prediction(
    weight: str, sign: Any, magnitude: Any, steps: int = 0
) -> predictions.Prediction:
    """Store your predicted sign ('+' or '-') and rough size of dL/d(weight); reveal it later.

    ``weight`` is one of 'w1', 'b1', 'w2', 'b2'; ``steps`` is how many SGD steps (η = 0.5)
    come before the backward pass you are predicting (0: the very first one). Nothing about
    the answer is shown: ``reveal_prediction(weight)`` compares once you have computed it.
    """
    _check_weight("check_gradient_prediction", weight)
    return predictions.record(weight, sign, magnitude, steps)


def reveal_prediction(weight: str = "w1", steps: int = 0, net: ToyNet = TOY) -> CheckResult:
    """Compare your stored prediction for dL/d(weight) with what the engine computes."""
    _check_weight("reveal_prediction", weight)
    stored = predictions.first(weight, steps)
    predictions.mark_revealed(weight, steps)
    if stored is None:
        return CheckResult.from_findings(
            f"prediction for dL/d{weight}",
            [
                Finding(
                    "prediction",
                    False,
                    "not answered",
                    "no prediction was stored before the reveal",
                    hint=f"check_gradient_prediction({weight!r}, sign, magnitude) stores one.",
                )
            ],
            "",
        )
    return grade_prediction(weight, stored.sign, stored.magnitude, steps, net)


def grade_prediction(
    weight: str, sign: Any, magnitude: Any, steps: int = 0, net: ToyNet = TOY
) -> CheckResult:
    """Judge a predicted sign and rough size of dL/d(weight) against the engine, on ``net``."""
    _check_weight("grade_prediction", weight)
    true = engine_gradients(steps, net)[weight]
    factors = _factors(weight, steps, net)
    product = " · ".join(f"{sym} ({val:+.3g})" for sym, val, _ in factors)
    name = f"dL/d{weight}"
    findings = []

    # the sign
    s = None if sign is None or sign is Ellipsis else _parse_sign(sign)
    true_sign = 1 if true > 0 else -1
    if sign is None or sign is Ellipsis:
        findings.append(
            Finding("sign", False, "not answered", "no prediction yet", hint="write '+' or '-'.")
        )
    elif s is None:
        findings.append(
            Finding(
                "sign", False, "not answered", f"{sign!r} is not a sign", hint="write '+' or '-'."
            )
        )
    elif s != true_sign:
        negatives = [f"{sym} = {val:+.3g} ({why})" for sym, val, why in factors if val < 0]
        reason = (
            ("; ".join(negatives) + " is negative") if negatives else "every factor is positive"
        )
        findings.append(
            Finding(
                "sign",
                False,
                "wrong sign",
                f"you predicted {sign!r}, but {name} = {true:+.3g} = {product} is "
                f"{'positive' if true > 0 else 'negative'}: {reason}",
                hint="count the negative factors along the path from the loss back to the weight.",
            )
        )
    else:
        findings.append(Finding("sign", True))

    # the size
    if magnitude is None or magnitude is Ellipsis:
        findings.append(
            Finding(
                "magnitude",
                False,
                "not answered",
                "no prediction yet",
                hint="a rough number is enough, e.g. 0.01, 0.1 or 1.",
            )
        )
    else:
        try:
            m = abs(float(magnitude))
        except (TypeError, ValueError):
            m = float("nan")
        ratio = m / abs(true) if m > 0 else 0.0
        if not math.isfinite(m) or m == 0:
            findings.append(
                Finding(
                    "magnitude",
                    False,
                    "not answered",
                    f"{magnitude!r} is not a size",
                    hint="give a positive number such as 0.1.",
                )
            )
        elif 1 / ROUGH_FACTOR <= ratio <= ROUGH_FACTOR:
            findings.append(Finding("magnitude", True))
        else:
            findings.append(_magnitude_mistake(weight, name, m, true, factors, steps, net))

    verdict = "decrease" if true > 0 else "increase"
    return CheckResult.from_findings(
        f"prediction for {name}"
        + (f" after {steps} SGD step{'s' * (steps != 1)}" if steps else ""),
        findings,
        f"{name} = {true:+.4g} = {product}. Your sign is right and your size is within a factor "
        f"of {ROUGH_FACTOR:g}. SGD (w ← w − η·grad) will {verdict} {weight}.",
    )


def _magnitude_mistake(
    weight: str,
    name: str,
    m: float,
    true: float,
    factors: list[tuple[str, float, str]],
    steps: int,
    net: ToyNet = TOY,
) -> Finding:
    """Say how far off the size is and, if it matches one, which slip explains it."""
    off = f"{m / abs(true):.2g}x too large" if m > abs(true) else f"{abs(true) / m:.2g}x too small"
    explanation = f"|{name}| is {abs(true):.3g}; your {m:.3g} is {off}"
    grads = engine_gradients(steps, net)
    candidates = []
    for sym, val, why in factors:
        if (
            len(factors) > 1 and not 0.8 < abs(val) < 1.25
        ):  # leaving out a factor near ±1 changes nothing
            candidates.append(
                (
                    "left out a factor",
                    abs(true / val),
                    f"it matches the product without {sym} = {val:.3g} ({why})",
                )
            )
    for other in WEIGHTS:
        if other != weight:
            candidates.append(
                (
                    "another weight's gradient",
                    abs(grads[other]),
                    f"it matches |dL/d{other}| = {abs(grads[other]):.3g}, a different weight",
                )
            )
    for mistake, value, text in candidates:
        if abs(math.log(m / value)) < math.log(1.3):
            return Finding(
                "magnitude",
                False,
                mistake,
                f"{explanation}: {text}",
                hint=f"multiply every factor on the way back: {name} = "
                + " · ".join(sym for sym, _, _ in factors)
                + ".",
            )
    return Finding(
        "magnitude",
        False,
        "wrong size",
        explanation,
        hint=f"multiply the factors: {name} = "
        + " · ".join(f"{sym} ≈ {val:.2g}" for sym, val, _ in factors)
        + "; σ' is at most 1/4.",
    )

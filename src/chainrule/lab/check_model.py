"""Check a trained classifier and a single hand-computed number, with the reason when they fail.

The lab's Part A1 is judged by what the trained model does (its accuracy on points it has
not seen, computed here with ``chainrule``, not with the student's own ``accuracy``), and
Part C1 by whether a hand derivation gives the engine's number.

>>> check_value("hand_dw1", -0.137, -0.13700001).ok
True
>>> check_value("hand_dw1", 0.137, -0.137).mistakes
{'hand_dw1': 'sign'}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.lab.feedback import CheckResult, Finding, find_mistake


def check_classifier(model: Any, X: Any, y: Any, at_least: float = 0.9) -> CheckResult:
    """Check that ``model`` returns (B, C) logits and classifies ``(X, y)`` at ``at_least`` accuracy."""
    from chainrule._tensor import as_tensor  # noqa: PLC0415 - the model is a chainrule module
    from chainrule.autograd.grad_mode import no_grad  # noqa: PLC0415

    X, y = np.asarray(X), np.asarray(y)
    try:
        with no_grad():
            logits = np.asarray(model(as_tensor(X)).numpy())
    except Exception as e:  # noqa: BLE001 - the student's model failing is feedback
        return CheckResult.from_findings(
            "classifier",
            [Finding("model", False, "error", f"the model raised {type(e).__name__}: {e}")],
            "",
        )
    if logits.shape != (len(y), int(y.max()) + 1):
        shape = Finding(
            "logits",
            False,
            "wrong shape",
            f"shape {logits.shape}, expected {(len(y), int(y.max()) + 1)}: one row per point, "
            "one logit per class",
            hint="the last layer is nn.Linear(d_hidden, d_out) with no activation after it.",
        )
        return CheckResult.from_findings("classifier", [shape], "")
    accuracy = float((logits.argmax(axis=1) == y).mean())
    found = Finding("logits", True)
    if accuracy < at_least:
        found = Finding(
            "accuracy",
            False,
            "too low",
            f"accuracy {accuracy:.1%} on these {len(y)} points, below {at_least:.0%}",
            hint="check the loop: forward, loss, opt.zero_grad(), loss.backward(), opt.step(); "
            "and an activation between the linear layers.",
        )
    return CheckResult.from_findings(
        "classifier",
        [found],
        f"accuracy {accuracy:.1%} on {len(y)} points (at least {at_least:.0%}).",
    )


def check_value(name: str, got: Any, expected: float, tol: float = 1e-6) -> CheckResult:
    """Check one number against the engine's, naming a sign slip or a missing factor."""
    if got is None or got is Ellipsis:
        return CheckResult.from_findings(
            name, [Finding(name, False, "not answered", "still the placeholder")], ""
        )
    f = find_mistake(
        name, np.asarray(got, dtype=np.float64).reshape(()), np.asarray(expected), tol=tol
    )
    if not f.ok and f.mistake in ("wrong values", "scaled"):
        f.explanation = f"{float(got):.6g} but the engine gives {float(expected):.6g}"
        f.hint = "multiply every factor along the path back from the loss."
    return CheckResult.from_findings(
        name, [f], f"{name} = {float(expected):.6g}, as the engine gives."
    )

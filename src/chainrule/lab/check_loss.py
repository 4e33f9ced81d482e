"""Check a hand-written softmax cross-entropy: its value and its gradient w.r.t. the logits.

For logits Z (B, C) and integer labels y (B,), with p = softmax(Z) row by row:

    L = (1/B) Σᵢ −log p[i, yᵢ]            (the mean over the batch, as F.cross_entropy)
    dL/dZ = (p − onehot(y)) / B            (prediction minus target: the slides' push-pull)

The reference is chainrule's autograd on ``F.cross_entropy``. A second round feeds
logits of ±1000, where exp overflows unless each row's maximum is subtracted first
(the log-sum-exp trick).

>>> import numpy as np
>>> def cross_entropy(logits, labels):
...     z = logits - logits.max(axis=1, keepdims=True)
...     log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
...     B = len(labels)
...     grad = np.exp(log_p)
...     grad[np.arange(B), labels] -= 1
...     return -log_p[np.arange(B), labels].mean(), grad / B
>>> check_cross_entropy(cross_entropy).ok
True
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from chainrule.lab.feedback import CheckResult, Finding, find_mistake, tolerance_for

#: The checker's batch: 4 examples, 3 classes (B ≠ C, so a transpose changes the shape).
LABELS = np.array([0, 2, 1, 2])
LOGITS = np.array(
    [
        [2.0, 1.0, 0.1],  # the slides' softmax example, true class 0
        [3.0, 1.0, -1.0],  # practice problem P4's logits, here with label 2
        [-0.5, 1.5, 0.3],
        [0.2, -1.2, 0.9],
    ]
)
#: Logits that overflow a naive exp: the stability round.
BIG_LOGITS = np.array(
    [[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0], [0.0, 1000.0, 1000.0], [500.0, -500.0, 1000.0]]
)

HINTS = {
    ("loss", "missing 1/B"): "take the mean over the batch, not the sum: F.cross_entropy averages.",
    ("loss", "extra 1/B"): "divide by the batch size once: the mean of the per-example losses.",
    (
        "loss",
        "sign",
    ): "the loss is −log p[i, yᵢ]: log of a probability is negative, the minus makes it positive.",
    ("loss", "not averaged"): "average the per-example losses: .mean() of the B values.",
    (
        "loss",
        "first example only",
    ): "average −log p[i, yᵢ] over all B examples (np.arange(B) indexes every row).",
    ("loss", "last example only"): "average −log p[i, yᵢ] over all B examples; a loop that assigns "
    "instead of adding keeps only the last one.",
    (
        "loss",
        "softmax over the batch",
    ): "softmax runs along each row (axis=1, one row per example), so each row of p sums to 1.",
    ("loss", "wrong values"): "L = mean over i of −log softmax(Z)[i, yᵢ].",
    ("dlogits", "missing 1/B"): "the loss is a mean over B examples, so its gradient carries 1/B: "
    "(softmax(Z) − onehot(y)) / B.",
    ("dlogits", "extra 1/B"): "divide by B only once: (softmax(Z) − onehot(y)) / B.",
    ("dlogits", "sign"): "prediction minus target, (p − y)/B, not target minus prediction: the "
    "correct class's logit gets a negative gradient, so SGD pushes it up.",
    ("dlogits", "forgot the target"): "subtract 1 at each example's true class: "
    "grad[np.arange(B), labels] -= 1, then divide by B.",
    ("dlogits", "target in every row"): "grad[:, labels] -= 1 subtracts in every row; use "
    "grad[np.arange(B), labels] -= 1 (row i, column yᵢ).",
    ("dlogits", "softmax over the batch"): "softmax runs along each row (axis=1).",
    ("dlogits", "transposed"): "the gradient has the logits' shape (B, C).",
    ("dlogits", "wrong values"): "dL/dZ = (softmax(Z) − onehot(y)) / B.",
    ("stability", "not finite"): "exp(1000) overflows: subtract each row's maximum before exp "
    "(softmax(z) = softmax(z − max z), the log-sum-exp trick), and "
    "compute log-softmax as z − max − log Σ exp(z − max).",
}


def _log_softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _reference(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss and dL/dlogits from chainrule's autograd on F.cross_entropy."""
    from chainrule._tensor import as_tensor  # noqa: PLC0415
    from chainrule.nn import functional as F  # noqa: PLC0415

    z = as_tensor(logits.copy()).requires_grad_()
    loss = F.cross_entropy(z, as_tensor(labels.astype(np.int64)))
    loss.backward()
    return float(loss.item()), z.grad.numpy()


def _run(impl: Any, logits: np.ndarray, labels: np.ndarray) -> tuple[Any, Any]:
    """Call a function ``(logits, labels) -> (loss, dlogits)`` or a forward/backward object."""
    if inspect.isclass(impl) or hasattr(impl, "forward"):
        obj = impl() if inspect.isclass(impl) else impl
        loss = obj.forward(logits.copy(), labels.copy())
        return loss, obj.backward()
    out = impl(logits.copy(), labels.copy())
    if out is None:
        raise NotImplementedError
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("it must return two things: (loss, dlogits)")
    return out[0], out[1]


def _loss_finding(got: Any, logits: np.ndarray, labels: np.ndarray, expected: float) -> Finding:
    B = len(labels)
    per_example = -_log_softmax(logits)[np.arange(B), labels]  # (B,)
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        got_arr = None
    tol = 1e-6 if got_arr is None else tolerance_for(np.asarray(got))
    if (
        got_arr is not None
        and got_arr.shape == (B,)
        and np.allclose(got_arr, per_example, rtol=tol)
    ):
        return Finding(
            "loss",
            False,
            "not averaged",
            f"you returned one loss per example (shape {got_arr.shape}), not their mean",
        )
    if got_arr is not None and got_arr.size == 1:
        value = float(got_arr.reshape(()))
        candidates = [
            (
                "first example only",
                per_example[0],
                "it is the first example's loss alone, not the mean over the batch",
            ),
            (
                "last example only",
                per_example[-1],
                "it is the last example's loss alone, not the mean over the batch",
            ),
            (
                "softmax over the batch",
                -_log_softmax(logits, axis=0)[np.arange(B), labels].mean(),
                "it matches a softmax taken down the columns (over the batch) instead of along each row",
            ),
        ]
        for mistake, candidate, text in candidates:
            if (
                abs(value - candidate) <= tol * max(abs(candidate), 1.0)
                and abs(value - expected) > tol
            ):
                return Finding(
                    "loss", False, mistake, text, element=(), got=value, expected=expected
                )
        got = value
    f = find_mistake("loss", got, np.asarray(expected), batch_size=B, tol=tol)
    f.explanation = f.explanation.replace(
        "your gradient", "your loss"
    )  # diagnose speaks of gradients
    if f.element == ():
        f.element = None  # a scalar: "loss is 1.2 but should be 0.4" reads better without []
        f.got = f.expected = None
        if not f.ok and got_arr is not None and got_arr.size == 1:
            f.explanation += (
                f" (your loss is {float(got_arr.reshape(())):.4g}, the right one {expected:.4g})"
            )
    return f


def _gradient_finding(
    got: Any, logits: np.ndarray, labels: np.ndarray, expected: np.ndarray
) -> Finding:
    B = len(labels)
    p = np.exp(_log_softmax(logits))
    f = find_mistake("dlogits", got, expected, batch_size=B)
    if f.ok or f.mistake not in ("wrong values", "scaled", "wrong shape"):
        return f
    got_arr = np.asarray(got, dtype=np.float64)
    every_row = p.copy()
    every_row[:, labels] -= 1
    col_p = np.exp(_log_softmax(logits, axis=0))
    col_p[np.arange(B), labels] -= 1
    candidates = [
        (
            "forgot the target",
            [p / B, p],
            "it is softmax(Z) (/B) without the one-hot target subtracted",
        ),
        (
            "target in every row",
            [every_row / B, every_row],
            "the 1 for each label was subtracted in every row, not only in that example's row",
        ),
        (
            "softmax over the batch",
            [col_p / B, col_p],
            "it uses a softmax taken over the batch axis",
        ),
    ]
    for mistake, arrays, text in candidates:
        if any(
            a.shape == got_arr.shape and np.allclose(got_arr, a, rtol=1e-4, atol=1e-9)
            for a in arrays
        ):
            f.mistake, f.explanation = mistake, text
            break
    return f


def check_cross_entropy(impl: Callable[..., Any] | Any) -> CheckResult:
    """Check your softmax cross-entropy: the loss (mean over the batch) and dL/dlogits.

    ``impl`` is a function ``cross_entropy(logits, labels) -> (loss, dlogits)`` or an
    object (class or instance) like ``chainrule.lab.manual.SoftmaxCrossEntropy`` with
    ``forward(logits, labels) -> loss`` and ``backward() -> dlogits``.
    """
    findings: list[Finding] = []
    ref_loss, ref_grad = _reference(LOGITS, LABELS)
    try:
        loss, grad = _run(impl, LOGITS, LABELS)
    except NotImplementedError:
        return CheckResult.from_findings(
            "cross-entropy",
            [
                Finding(
                    "cross_entropy",
                    False,
                    "not answered",
                    "not written yet (it returned None or raised NotImplementedError)",
                )
            ],
            "",
        )
    except Exception as e:  # noqa: BLE001 - student code: any failure becomes feedback
        return CheckResult.from_findings(
            "cross-entropy",
            [
                Finding(
                    "cross_entropy",
                    False,
                    "error",
                    f"your code raised {type(e).__name__}: {e}",
                    hint=f"the checker's logits are {LOGITS.shape} (B, C) and labels {LABELS.shape} integers.",
                )
            ],
            "",
        )
    findings.append(_loss_finding(loss, LOGITS, LABELS, ref_loss))
    findings.append(_gradient_finding(grad, LOGITS, LABELS, ref_grad))
    for f in findings:
        if not f.ok:
            f.hint = HINTS.get((f.name, f.mistake or ""), HINTS[(f.name, "wrong values")])

    if all(f.ok for f in findings):  # only a correct formula is worth testing for overflow
        big_loss, big_grad = _reference(BIG_LOGITS, LABELS)
        try:
            with np.errstate(all="ignore"):
                loss, grad = _run(impl, BIG_LOGITS, LABELS)
            bad = not (
                np.all(np.isfinite(np.asarray(loss, dtype=np.float64)))
                and np.all(np.isfinite(np.asarray(grad, dtype=np.float64)))
            )
            stable = Finding("stability", True)
            if bad:
                stable = Finding(
                    "stability",
                    False,
                    "not finite",
                    "with logits of ±1000 your loss or gradient is nan or inf",
                    hint=HINTS[("stability", "not finite")],
                )
            else:
                for name, got, ref in (("loss", loss, big_loss), ("dlogits", grad, big_grad)):
                    g = find_mistake(name, got, np.asarray(ref), tol=1e-6)
                    if not g.ok:
                        stable = Finding(
                            "stability",
                            False,
                            g.mistake,
                            f"with logits of ±1000, {name} is off: {g.explanation}",
                            hint=HINTS[("stability", "not finite")],
                        )
                        break
        except Exception as e:  # noqa: BLE001
            stable = Finding(
                "stability",
                False,
                "error",
                f"with logits of ±1000 your code raised {type(e).__name__}: {e}",
                hint=HINTS[("stability", "not finite")],
            )
        findings.append(stable)
    return CheckResult.from_findings(
        "cross-entropy",
        findings,
        "The loss (mean of −log p[i, yᵢ]) and dL/dlogits = (softmax − onehot)/B match autograd, "
        "and logits of ±1000 do not overflow.",
    )

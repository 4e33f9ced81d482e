"""What a checker hands back: a verdict, one readable message, and the findings behind it.

A checker compares each quantity a student computed (``dW``, ``db``, ``dX``, a loss, a
prediction) with a reference and turns every disagreement into a ``Finding`` that names
the element and the likely mistake. ``find_mistake`` does the naming: it asks
``chainrule.lab.compare.diagnose`` first (transposed, sign, missing or extra 1/B, scaled,
all zeros) and then looks for the mistake diagnose cannot see because it needs the
batch: a sum over examples that kept only one of them, stopped early, skipped one, or
was never taken.

>>> import numpy as np
>>> X, D = np.arange(6.0).reshape(3, 2), np.ones((3, 1))
>>> per_example = D[:, :, None] * X[:, None, :]    # gᵢ xᵢᵀ for each example, (B, d_out, d_in)
>>> f = find_mistake("dW", D[-1:].T @ X[-1:], D.T @ X, per_example=per_example)
>>> f.mistake
'last example only'
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.lab.compare import diagnose

#: The mistake names a ``Finding`` can carry (``Finding.mistake``), most specific first.
MISTAKES = (
    "error",  # the student's code raised
    "not answered",  # a placeholder (None or ...) is still there
    "not finite",  # nan or inf
    "wrong shape",
    "transposed",
    "sign",
    "missing 1/B",
    "extra 1/B",
    "first example only",
    "last example only",
    "one example only",
    "stopped early",
    "skipped an example",
    "not summed over the batch",
    "scaled",
    "all zeros",
    "wrong values",
)

# diagnose() starts every message with its kind; these are the kinds we keep as they are.
_DIAGNOSE_KINDS = ("transposed", "sign", "missing 1/B", "extra 1/B", "scaled", "all zeros")


@dataclass
class Finding:
    """One checked quantity: whether it is right, and if not, what is wrong and where.

    ``element`` is the index of the worst entry (when the shapes agree), ``got`` and
    ``expected`` its two values; ``explanation`` says what was found and ``hint`` what
    to change.
    """

    name: str
    ok: bool
    mistake: str | None = None
    explanation: str = ""
    hint: str = ""
    element: tuple[int, ...] | None = None
    got: float | None = None
    expected: float | None = None

    def where(self) -> str:
        """The worst element in words, e.g. ``dW[2, 0] is 0.41 but should be -1.03``."""
        if self.element is None or self.got is None or self.expected is None:
            return ""
        index = f"[{', '.join(str(i) for i in self.element)}]" if self.element else ""
        return f"{self.name}{index} is {self.got:.4g} but should be {self.expected:.4g}"

    def text(self) -> str:
        """The finding as one or two sentences (empty when it is OK)."""
        if self.ok:
            return ""
        out = (
            f"{self.name} ({self.mistake}): {self.explanation}"
            if self.mistake
            else f"{self.name}: {self.explanation}"
        )
        where = self.where()
        if where and where not in self.explanation:
            out += f"; {where}"
        return out + (f"\n    Hint: {self.hint}" if self.hint else "")


@dataclass
class CheckResult:
    """A checker's answer: ``ok``, a ``message`` for humans, ``details`` (a Finding per quantity).

    It prints as a short report, shows as a coloured box in a notebook, and is truthy
    exactly when everything checked is right, so ``assert check_...(...)`` works.
    """

    title: str
    ok: bool
    message: str
    details: dict[str, Finding] = field(default_factory=dict)

    @classmethod
    def from_findings(cls, title: str, findings: list[Finding], success: str) -> CheckResult:
        """Combine findings: OK if all are; otherwise one line per wrong quantity."""
        bad = [f for f in findings if not f.ok]
        message = success if not bad else "\n".join(f.text() for f in bad)
        return cls(title, not bad, message, {f.name: f for f in findings})

    @property
    def mistakes(self) -> dict[str, str]:
        """The named mistake of every wrong quantity, e.g. ``{'dW': 'transposed'}``."""
        return {name: f.mistake or "wrong values" for name, f in self.details.items() if not f.ok}

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        mark = "PASS" if self.ok else "NOT YET"
        return f"[{mark}] {self.title}\n{self.message}"

    __repr__ = __str__  # a bare result in a notebook or REPL shows the report, not a dataclass

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "&#10004;") if self.ok else ("#b35900", "&#10008;")
        lines = "<br>".join(html.escape(line) for line in self.message.splitlines())
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 4px 10px">'
            f'<b style="color: {colour}">{mark} {html.escape(self.title)}</b><br>{lines}</div>'
        )


# ---- naming ------------------------------------------------------------------------------------
def _close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """True when a and b have the same shape and agree to ``tol`` relative to the larger."""
    if a.shape != b.shape:
        return False
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return scale == 0 or float(np.max(np.abs(a - b), initial=0.0)) <= tol * scale


def tolerance_for(*arrays: Any) -> float:
    """1e-6 when everything is float64, 1e-4 when float32 took part (see compare.TOLERANCE_NOTE)."""
    low = any(np.asarray(a).dtype in (np.float32, np.float16) for a in arrays)
    return 1e-4 if low else 1e-6


def _batch_mistake(got: np.ndarray, per_example: np.ndarray, tol: float) -> tuple[str, str] | None:
    """Name a sum over the batch that went wrong: one example, a prefix, all but one, or none.

    ``per_example[i]`` is example i's contribution; the right answer is their sum.
    """
    B = len(per_example)
    if got.shape == per_example.shape and _close(got, per_example, tol):
        return (
            "not summed over the batch",
            f"you returned one gradient per example (shape {got.shape}) instead of their sum "
            f"over the batch (shape {per_example.shape[1:]})",
        )
    if B < 2 or got.shape != per_example.shape[1:]:
        return None
    for i in range(B):
        if _close(got, per_example[i], tol):
            if i == 0:
                return "first example only", "it holds only the first example's contribution"
            if i == B - 1:
                return (
                    "last example only",
                    "it holds only the last example's contribution: each example overwrote "
                    "the one before instead of adding to it",
                )
            return "one example only", f"it holds only example {i}'s contribution"
    total = per_example.sum(axis=0)
    for k in range(2, B):
        if _close(got, per_example[:k].sum(axis=0), tol):
            return "stopped early", f"it sums only the first {k} of the {B} examples"
    for j in range(B - 1):  # leaving out the last one is "stopped early"
        if _close(got, total - per_example[j], tol):
            return "skipped an example", f"it sums every example except example {j}"
    return None


def find_mistake(
    name: str,
    got: Any,
    expected: np.ndarray,
    *,
    batch_size: int | None = None,
    per_example: np.ndarray | None = None,
    tol: float | None = None,
) -> Finding:
    """Compare one quantity with its reference and name what is wrong, if anything.

    ``per_example`` (shape (B, *expected.shape)) lists each example's share of a
    gradient that sums over the batch; with it, batch-sum mistakes can be named.
    """
    if got is None or got is Ellipsis:
        return Finding(name, False, "not answered", "no value yet (still the placeholder)")
    expected = np.asarray(expected, dtype=np.float64)
    try:
        got_arr = np.asarray(got)
        got64 = got_arr.astype(np.float64)
    except (TypeError, ValueError):
        return Finding(
            name,
            False,
            "wrong shape",
            f"expected an array of shape {expected.shape}, got {type(got).__name__}",
        )
    tol = tol if tol is not None else tolerance_for(got_arr)
    if not np.all(np.isfinite(got64)):
        return Finding(name, False, "not finite", "it contains nan or inf")
    if per_example is not None:
        batch = _batch_mistake(got64, np.asarray(per_example, dtype=np.float64), tol)
        if batch is not None and batch[0] == "not summed over the batch":
            return Finding(name, False, *batch)
    verdict = diagnose(got64, expected, batch_size=batch_size, tol=tol)
    if verdict is None:
        return Finding(name, True)
    kind, _, detail = verdict.partition(": ")
    same_shape = got64.shape == expected.shape
    element = got_value = expected_value = None
    if same_shape and got64.size:
        worst = np.unravel_index(np.argmax(np.abs(got64 - expected)), got64.shape)
        element = tuple(int(i) for i in worst)
        got_value, expected_value = float(got64[worst]), float(expected[worst])
    if kind in _DIAGNOSE_KINDS:
        return Finding(
            name, False, kind, detail, element=element, got=got_value, expected=expected_value
        )
    if per_example is not None:
        batch = _batch_mistake(got64, np.asarray(per_example, dtype=np.float64), tol)
        if batch is not None:
            return Finding(
                name, False, *batch, element=element, got=got_value, expected=expected_value
            )
    if not same_shape:
        return Finding(
            name, False, "wrong shape", f"shape {got64.shape}, expected {expected.shape}"
        )
    return Finding(
        name,
        False,
        "wrong values",
        "the values differ from the reference",
        element=element,
        got=got_value,
        expected=expected_value,
    )

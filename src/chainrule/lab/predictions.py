"""The kernel's record of Part B predictions: stored first, compared only after.

A prediction is worth something only if it is made before the answer is seen. So
``check_gradient_prediction`` stores the student's guess here and says nothing about it,
``toy_gradients`` refuses to show the toy's gradients until a guess is stored, and
``reveal_prediction`` compares the stored guess with the engine's answer. A guess changed
after its reveal is kept as well, marked ``after_reveal`` (the grader grades the first).

>>> clear()
>>> _ = record("w1", "-", 0.1)
>>> first("w1").sign, first("w1").after_reveal
('-', False)
>>> clear()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Every stored prediction, in the order made (the grader reads this list from the kernel).
RECORDED: list[Prediction] = []
_REVEALED: set[tuple[str, int]] = set()


@dataclass(frozen=True)
class Prediction:
    """One stored guess: which gradient, its sign and size, and whether the answer was out."""

    weight: str
    sign: Any
    magnitude: Any
    steps: int = 0
    after_reveal: bool = False

    @property
    def answered(self) -> bool:
        """True when both the sign and the size are filled in (not the placeholder ...)."""
        return all(v is not None and v is not Ellipsis for v in (self.sign, self.magnitude))

    def __str__(self) -> str:
        name = f"dL/d{self.weight}" + (f" after {self.steps} SGD steps" if self.steps else "")
        if not self.answered:
            return (
                f"No prediction for {name} yet: fill in the sign and the size, then run this cell."
            )
        late = " (made after the reveal: the first prediction is the one graded)"
        return (
            f"Recorded your prediction for {name}: sign {self.sign!r}, size about "
            f"{self.magnitude!r}{late if self.after_reveal else ''}. Now compute it (the reveal "
            f"cell) and run reveal_prediction({self.weight!r}) to compare."
        )

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return str(self)


def record(weight: str, sign: Any, magnitude: Any, steps: int = 0) -> Prediction:
    """Store a guess (before the reveal or not: the record says which) and return it."""
    p = Prediction(weight, sign, magnitude, steps, after_reveal=(weight, steps) in _REVEALED)
    RECORDED.append(p)
    return p


def first(weight: str, steps: int = 0) -> Prediction | None:
    """The first answered guess for this gradient, or None if there is none."""
    return next(
        (p for p in RECORDED if (p.weight, p.steps) == (weight, steps) and p.answered), None
    )


def any_answered() -> bool:
    """True once any answered guess is stored: then the toy's gradients may be shown."""
    return any(p.answered for p in RECORDED)


def mark_revealed(weight: str, steps: int = 0) -> None:
    """Note that this gradient's answer has been shown; later guesses are marked late."""
    _REVEALED.add((weight, steps))


def clear() -> None:
    """Forget every guess (a fresh kernel; the tests use it)."""
    RECORDED.clear()
    _REVEALED.clear()

"""The types of ``chainrule``'s numeric options: checked when the command line is read, before any work.

Each is an argparse ``type=``: it turns the text into a number or raises
``argparse.ArgumentTypeError``, which argparse reports as one line naming the option
(``argument --seed: must be >= 0, got -1``), exit status 2. A bad ``--dpi`` therefore fails
in a millisecond, not after the demo it would have drawn.

>>> integer(1, 4096)("256")
256
>>> real(0.0, 1.0, low_open=True)("0")
Traceback (most recent call last):
argparse.ArgumentTypeError: must be > 0, got 0
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["at_most", "integer", "real", "SEED_MAX"]

#: The largest ``--seed``: PyTorch's ``manual_seed`` takes seeds up to 2**64 - 1 too.
SEED_MAX = 2**64 - 1


def _shown(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


def integer(low: int, high: int) -> Callable[[str], int]:
    """A ``type=`` for a whole number in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            if not text.isascii():  # int() would read '٣' as 3: only the digits a user typed
                raise ValueError
            value = int(text.strip(), 10)  # int() of a long digit string is bounded by Python
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expects a whole number, got {_shown(text)!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low:,}, got {_shown(text)}")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high:,}, got {_shown(text)}")
        return value

    parse.__name__ = "integer"  # argparse names the type in "invalid <name> value" messages
    return parse


def real(
    low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> Callable[[str], float]:
    """A ``type=`` for a finite number between ``low`` and ``high`` (each end included unless open)."""

    def parse(text: str) -> float:
        try:
            if not text.isascii():
                raise ValueError
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expects a number, got {_shown(text)!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {_shown(text)}")
        if value < low or (low_open and value == low):
            raise argparse.ArgumentTypeError(
                f"must be {'>' if low_open else '>='} {low:g}, got {_shown(text)}"
            )
        if value > high or (high_open and value == high):
            raise argparse.ArgumentTypeError(
                f"must be {'<' if high_open else '<='} {high:g}, got {_shown(text)}"
            )
        return value

    parse.__name__ = "number"
    return parse


def at_most(count: int, what: str) -> type[argparse.Action]:
    """An ``action=`` for an ``nargs="+"`` option that takes at most ``count`` values."""

    class AtMost(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
            if len(values) > count:
                raise argparse.ArgumentError(self, f"at most {count} {what}, got {len(values)}")
            setattr(namespace, self.dest, values)

    return AtMost

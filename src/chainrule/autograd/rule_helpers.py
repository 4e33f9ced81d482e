"""Helpers the rule table calls, kept out of it so that the table reads as derivatives only.

- :func:`promote`: PyTorch's result dtype where NumPy's differs;
- :func:`erf`: NumPy has no erf, and GELU needs one;
- :func:`parse_einsum`: turning an einsum equation into one index string per operand.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from chainrule.autograd.shapes import Shape, ShapeError

__all__ = ["promote", "erf", "parse_einsum"]


def promote(out, a, b):
    """Apply PyTorch's result dtype where NumPy's differs: float32, not float64, when neither
    operand is a float64 array (an int tensor times a Python float, int / int)."""
    if out.dtype == np.float64 and not (_is_float64(a) or _is_float64(b)):
        return out.astype(np.float32)
    return out


def _is_float64(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == np.float64


# NumPy has no erf. Build a Chebyshev interpolant of math.erf on [0, 6] once, at import
# (41 calls to math.erf); it is accurate to ~2e-14 there, erf(x) = 1 to double precision for
# x > 6, and erf is odd. Evaluating it is array work only, no Python loop over elements.
_ERF_CHEB = np.polynomial.chebyshev.Chebyshev.interpolate(
    np.vectorize(math.erf), 40, domain=[0.0, 6.0]
)


def erf(x: np.ndarray) -> np.ndarray:
    ax = np.minimum(np.abs(x), 6.0)
    return (np.sign(x) * _ERF_CHEB(ax)).astype(x.dtype, copy=False)


def parse_einsum(equation: str, shapes: Sequence[Shape]) -> tuple[list[str], str]:
    """Split an einsum equation into one letter string per operand and the output letters.

    '...' is replaced by fresh letters (the same for every operand, right-aligned); an implicit
    output is every letter used exactly once, in alphabetical order, after the '...' letters.
    """
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(
            f"einsum: equation {equation!r} has {len(terms)} operands but {len(shapes)} were given"
        )
    used = set(eq) - set(".,->")
    spare = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
    n_ell = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            n_ell = max(n_ell, len(s) - (len(t) - 3))
    ell = "".join(next(spare) for _ in range(n_ell))
    expanded = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            t = t.replace("...", ell[n_ell - k :] if k else "")
        if len(t) != len(s):
            raise ShapeError(f"einsum: term {t!r} does not match an operand of shape {s}")
        if len(set(t)) != len(t):
            raise NotImplementedError(
                f"einsum: repeated index in {t!r} (diagonals) is not supported"
            )
        expanded.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts: dict[str, int] = {}
        for t in expanded:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    sizes: dict[str, int] = {}
    for t, s in zip(expanded, shapes):
        for c, n in zip(t, s):
            if sizes.setdefault(c, n) != n:
                raise ShapeError(
                    f"einsum: index {c!r} has sizes {sizes[c]} and {n} in equation {equation!r}"
                )
    for c in out:
        if c not in sizes:
            raise ShapeError(f"einsum: output index {c!r} does not appear in any input")
    return expanded, out

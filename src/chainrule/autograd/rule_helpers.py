"""Helpers the rule table calls, kept out of it so that the table reads as derivatives only.

- :func:`promote`: PyTorch's result dtype where NumPy's differs;
- :func:`erf`: NumPy has no erf, and GELU needs one;
- :func:`parse_einsum`: turning an einsum equation into one index string per operand.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from chainrule.autograd.shapes import Shape, ShapeError

__all__ = [
    "promote",
    "erf",
    "parse_einsum",
    "linear_jvp",
    "elementwise_jvp",
    "multilinear_jvp",
    "data_of",
    "as_tensor",
    "keepdim_shape",
]


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


# ------------------------------------------------------------------------------------------------
# Forward mode: the three shapes of JVP the table reuses
# --------------------------------------------------------------------------------------------------
def linear_jvp(forward: Callable, fixed: tuple[int, ...] = ()) -> Callable:
    """The JVP of an op that is linear in its inputs: push the tangents through the forward.

    For a linear map f, J u = f(u), so reshape, sum, getitem, cat, ... need no formula of their
    own. Inputs listed in ``fixed`` (a condition, an index) are not linear arguments and keep
    their primal value; a missing tangent is a zero of its input's shape.
    """

    def jvp(tangents, arrays, out, saved, params):
        args = [
            a if i in fixed else (_zero_like(a) if t is None else t)
            for i, (t, a) in enumerate(zip(tangents, arrays))
        ]
        return forward(*args, **params)[0]

    return jvp


def elementwise_jvp(vjp: Callable) -> Callable:
    """The JVP of an elementwise op from its VJP: the Jacobian is diagonal (after broadcasting).

    ``vjp(1)`` gives each input's partial derivative ∂out/∂input_i at every element, so the
    tangent of the output is Σ_i ∂out/∂input_i · u_i.
    """

    def jvp(tangents, arrays, out, saved, params):
        needs = tuple(t is not None for t in tangents)
        partials = vjp(np.ones_like(out), saved, needs)
        total = 0
        for t, d in zip(tangents, partials):
            if t is not None:
                total = total + d * t
        return total

    return jvp


def multilinear_jvp(forward: Callable) -> Callable:
    """The JVP of an op linear in each input separately (matmul, einsum): the product rule,
    Σ_k f(x_1, ..., u_k, ..., x_n)."""

    def jvp(tangents, arrays, out, saved, params):
        total = 0
        for k, t in enumerate(tangents):
            if t is not None:
                args = list(arrays)
                args[k] = t
                total = total + forward(*args, **params)[0]
        return total

    return jvp


def _zero_like(a):
    return np.zeros_like(a) if isinstance(a, np.ndarray) else 0


# ------------------------------------------------------------------------------------------------
# Reverse mode on tensors (create_graph=True): small helpers the graph_vjps share
# --------------------------------------------------------------------------------------------------
def data_of(x):
    """The array behind a tensor, or a plain operand unchanged (for masks and constants)."""
    return x._data if hasattr(x, "_node") else x


def as_tensor(x, like):
    """A plain operand as a constant (graph-free) tensor, so Tensor methods apply to it."""
    return x if hasattr(x, "_node") else like._wrap(np.asarray(x))


def keepdim_shape(shape: Shape, axes) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` (None: all) kept as 1s: where g must be reshaped
    before it is broadcast back over what was reduced."""
    return tuple(1 if (axes is None or i in axes) else n for i, n in enumerate(shape))

"""Forward mode: dual tensors that carry a tangent through every op (``torch.autograd.forward_ad``).

Reverse mode answers "how does one output depend on every input?" in one backward pass.
Forward mode answers the transposed question, "how does every output move when the inputs move
along one direction u?", in the *same* pass as the forward computation: each op turns its
inputs' tangents into its output's tangent with its JVP rule (``jvp`` in the rule table), so
the tangent of the result is J·u. One pass per input direction, no graph, no memory for it.

Inside ``with dual_level():`` a tensor made by :func:`make_dual` carries its tangent, every op
on it computes the tangent of its result, and :func:`unpack_dual` reads the pair back.

>>> from chainrule import Tensor
>>> x = Tensor([1.0, 2.0], dtype="float64")
>>> with dual_level():
...     y = make_dual(x, Tensor([1.0, 0.0], dtype="float64")) ** 2
...     unpack_dual(y).tangent  # d(x²)/dx₀ · u = 2x·u
tensor([2., 0.], dtype=chainrule.float64)

Differs from PyTorch: one level at a time (no nesting); tangents are constants (forward over
forward is not recorded); in-place ops drop the tangent.
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from typing import Any

import numpy as np

from chainrule.autograd.grad_mode import state
from chainrule.autograd.registry import Rule, op

__all__ = ["dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor", "attach_tangent"]

Tensor = Any

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "What :func:`unpack_dual` returns: ``(primal, tangent)``."

_level_numbers = itertools.count()


class dual_level:  # noqa: N801 - PyTorch's name
    """Open a forward-mode level: inside it, dual tensors carry tangents through every op.

    Leaving the level forgets every tangent made in it (``unpack_dual`` then gives None).
    """

    def __enter__(self) -> int:
        if state.dual_level is not None:
            raise RuntimeError(
                "dual_level: a level is already open (nested levels are not supported)"
            )
        state.dual_level = next(_level_numbers)
        return state.dual_level

    def __exit__(self, *exc: Any) -> None:
        state.dual_level = None


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """Return ``tensor`` paired with ``tangent`` (same shape): a view that carries both.

    The result stays differentiable with respect to ``tensor`` in reverse mode.
    """
    if state.dual_level is None:
        raise RuntimeError("make_dual: call it inside a `with forward_ad.dual_level():` block")
    t = tangent._data if hasattr(tangent, "_node") else np.asarray(tangent)
    if t.shape != tensor._data.shape:
        raise RuntimeError(
            f"make_dual: the tangent has shape {t.shape} but the primal has shape "
            f"{tensor._data.shape}"
        )
    if tensor._data.dtype.kind != "f":
        raise RuntimeError(
            f"make_dual: the primal must be floating point, got {tensor._data.dtype}"
        )
    dual = _alias(tensor)
    dual._tangent = (state.dual_level, t.astype(tensor._data.dtype, copy=False))
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """Split a dual tensor into ``(primal, tangent)``; the tangent is None for a plain tensor."""
    tangent = tangent_of(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor), tensor._wrap(tangent))


def tangent_of(x: Any) -> np.ndarray | None:
    """The tangent array ``x`` carries at the open level, or None."""
    pair = getattr(x, "_tangent", None)
    if pair is None or pair[0] != state.dual_level:
        return None
    return pair[1]


def attach_tangent(
    result: Tensor, rule: Rule, inputs: tuple, arrays: list, out: Any, saved: Any, params: dict
) -> None:
    """Give ``result`` the tangent J·u of its op, from its inputs' tangents (the JVP rule)."""
    tangents = [tangent_of(x) for x in inputs]
    if all(t is None for t in tangents):
        return  # nothing moves: no tangent, as for a constant
    if rule.jvp is None:
        raise RuntimeError(f"{rule.name}: forward-mode derivative (JVP) not implemented")
    tangent = np.asarray(rule.jvp(tangents, arrays, out, saved, params))
    data = result._data
    if tangent.shape != data.shape:
        tangent = np.broadcast_to(tangent, data.shape)
    result._tangent = (state.dual_level, tangent.astype(data.dtype, copy=False))


def _alias(tensor: Tensor) -> Tensor:
    """A view of ``tensor`` with no tangent, still on its reverse-mode graph."""
    level, state.dual_level = state.dual_level, None
    try:
        return op("reshape", tensor, shape=tensor._data.shape)
    finally:
        state.dual_level = level

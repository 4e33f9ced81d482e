"""Functions in the torch namespace that are not Tensor methods: ``cat``, ``stack``, ``where``, ...

``chainrule.cat(...)`` is ``torch.cat(...)``. Each one turns its operands into tensors (or plain
numbers) and dispatches into the rule table exactly as a Tensor method does.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from chainrule._tensor import Operand, Tensor
from chainrule._tensor.dispatch import apply, array_of, coerce
from chainrule.autograd.shapes import normalize_dim

__all__ = ["cat", "stack", "where", "maximum", "matmul", "einsum"]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; the gradient is cut back into the pieces.

    >>> cat([Tensor([1.0]), Tensor([2.0, 3.0])])
    tensor([1., 2., 3.])
    """
    return apply("cat", *[_as_tensor(t) for t in tensors], dim=dim)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shape tensors along a new dim: ``cat([t.unsqueeze(dim) for t in tensors], dim)``.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    d = normalize_dim("stack", dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)


def where(condition: Any, input: Operand, other: Operand) -> Tensor:
    """Pick ``input`` where ``condition`` is True and ``other`` elsewhere (broadcasting).

    >>> where(Tensor([True, False]), Tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    """
    cond = np.asarray(array_of(condition))
    if cond.dtype != bool:
        cond = cond.astype(bool)
    return apply("where", cond, coerce(input), coerce(other))


def maximum(input: Operand, other: Operand) -> Tensor:
    """Elementwise max of two tensors; at ties each side gets half the gradient (as torch).

    >>> maximum(Tensor([1.0, 5.0]), Tensor([3.0, 2.0]))
    tensor([3., 5.])
    """
    return apply("maximum", coerce(input), coerce(other))


def matmul(input: Operand, other: Operand) -> Tensor:
    """Matrix product with NumPy/torch rules for 1-D operands and batch broadcasting."""
    return apply("matmul", coerce(input), coerce(other))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation; the VJP for each operand is an einsum of g with the others.

    Supports explicit (``'ij,jk->ik'``) and implicit (``'ij,jk'``) outputs and ``...``;
    repeated indices in one operand (diagonals, ``'ii->i'``) raise NotImplementedError.

    >>> einsum("i,i->", Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    tensor(11.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return apply("einsum", *[_as_tensor(t) for t in operands], equation=equation)

"""The torch namespace's functions: ``chainrule.exp(x)`` is ``torch.exp(x)``.

Most are a Tensor method called as a function (``chainrule.sum(x, 1)`` is ``x.sum(1)``). Those
are not written twice: :data:`METHOD_FUNCTIONS` lists them, and :func:`from_method` makes each
function once, from the method that holds the logic (and its docstring). The rest take several
tensors and have no method: ``cat``, ``stack``, ``where``, ``einsum``, ``broadcast_tensors``, ...
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from chainrule._tensor import Operand, Tensor, as_tensor
from chainrule._tensor.dispatch import apply, array_of, coerce
from chainrule._tensor.size import Size
from chainrule.autograd.shapes import normalize_dim

#: Tensor methods that PyTorch also offers as ``torch.<name>(input, ...)``.
METHOD_FUNCTIONS: tuple[str, ...] = (
    # elementwise
    "abs", "absolute", "neg", "negative", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10",
    "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "erf", "floor", "ceil",
    "trunc", "fix", "round", "sign", "frac", "clamp", "clip", "clamp_min", "clamp_max", "relu",
    "sigmoid", "tanh", "softmax", "log_softmax", "lerp", "isnan", "isinf", "isfinite",
    "isposinf", "isneginf", "signbit", "logical_not", "logical_and", "logical_or", "logical_xor",
    "nan_to_num",
    # arithmetic and comparison
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "float_power", "matmul", "mm", "bmm", "mv", "dot", "inner",
    "outer", "ger", "addmm", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal",
    "less", "less_equal", "not_equal", "equal", "isclose", "allclose", "bitwise_not",
    "maximum", "minimum",
    # reductions and ordering
    "sum", "nansum", "mean", "nanmean", "prod", "cumsum", "cumprod", "logsumexp", "norm",
    "count_nonzero", "var", "std", "amax", "amin", "aminmax", "max", "min", "argmax", "argmin",
    "all", "any", "sort", "argsort", "msort", "topk", "kthvalue", "median", "mode",
    # shape and indexing
    "reshape", "flatten", "unflatten", "permute", "transpose", "swapaxes", "swapdims", "t",
    "movedim", "moveaxis", "squeeze", "unsqueeze", "flip", "fliplr", "flipud", "roll",
    "repeat_interleave", "tile", "broadcast_to", "narrow", "select", "split", "chunk",
    "tensor_split", "unbind", "gather", "index_select", "take", "masked_fill", "scatter",
    "scatter_add", "nonzero", "argwhere", "tril", "triu", "diagonal", "diag", "trace",
    # the rest
    "clone", "detach", "numel", "is_floating_point", "is_complex",
)  # fmt: skip


def from_method(name: str) -> Callable[..., Any]:
    """``torch.<name>(input, *args, **kwargs)`` as ``input.<name>(*args, **kwargs)``.

    ``input`` may be a tensor or data (a list, a number, an array), as in PyTorch.
    """
    method = getattr(Tensor, name)

    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - torch's name
        if kwargs.pop("out", None) is not None:
            raise TypeError(f"{name}: out= is not supported; assign the result instead")
        x = input if isinstance(input, Tensor) else as_tensor(input)
        return getattr(x, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = method.__doc__ or f"``chainrule.{name}(x, ...)`` is ``x.{name}(...)``."
    function.__module__ = __name__
    return function


globals().update({name: from_method(name) for name in METHOD_FUNCTIONS})


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; the gradient is cut back into the pieces.

    >>> cat([Tensor([1.0]), Tensor([2.0, 3.0])])
    tensor([1., 2., 3.])
    """
    if isinstance(tensors, Tensor) or not len(tensors):
        raise TypeError("cat: expected a non-empty list (or tuple) of tensors")
    return apply("cat", *[_as_tensor(t) for t in tensors], dim=dim)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shape tensors along a new dim: ``cat([t.unsqueeze(dim) for t in tensors], dim)``.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    chainrule.Size([2, 2])
    """
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, but got {sorted(shapes)}")
    d = normalize_dim("stack", dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors)."""
    tensors = [_as_tensor(t) for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as rows: 1-D tensors become rows first."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in map(_as_tensor, tensors)], 0)


row_stack = vstack


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 1-D tensors become columns first."""
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in map(_as_tensor, tensors)], 1)


def where(condition: Any, input: Operand = None, other: Operand = None) -> Any:  # noqa: A002
    """Pick ``input`` where ``condition`` is True and ``other`` elsewhere (broadcasting).

    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``, as in PyTorch.

    >>> where(Tensor([True, False]), Tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    """
    cond = np.asarray(array_of(condition))
    if input is None and other is None:
        return _as_tensor(cond).nonzero(as_tuple=True)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    return apply("where", cond, coerce(input), coerce(other))


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


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that tensors of these shapes broadcast to."""
    try:
        return Size(
            np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes])
        )
    except ValueError:
        raise RuntimeError(
            f"broadcast_shapes: shapes {list(map(tuple, shapes))} do not broadcast"
        ) from None


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """Each tensor expanded to the common broadcast shape (gradients sum back)."""
    ts = [_as_tensor(t) for t in tensors]
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Grids from 1-D tensors; ``indexing='ij'`` (matrix) or ``'xy'`` (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [_as_tensor(t).reshape(-1) for t in tensors]
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
    n = len(ts)
    shape = tuple(t.shape[0] for t in ts)
    grids = [
        t.reshape((1,) * i + (-1,) + (1,) * (n - i - 1)).expand(shape) for i, t in enumerate(ts)
    ]
    if indexing == "xy" and n >= 2:
        grids = [g.transpose(0, 1) for g in grids]
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def var_mean(input: Any, dim: Any = None, *, correction: int = 1, keepdim: bool = False):  # noqa: A002
    """``(var, mean)`` over ``dim`` in one call."""
    x = _as_tensor(input)
    return x.var(dim, keepdim=keepdim, correction=correction), x.mean(dim, keepdim=keepdim)


def std_mean(input: Any, dim: Any = None, *, correction: int = 1, keepdim: bool = False):  # noqa: A002
    """``(std, mean)`` over ``dim`` in one call."""
    x = _as_tensor(input)
    return x.std(dim, keepdim=keepdim, correction=correction), x.mean(dim, keepdim=keepdim)


def dist(input: Any, other: Any, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm of ``input − other``."""
    return (_as_tensor(input) - coerce(other)).norm(p)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M)."""
    diff = _as_tensor(x1).unsqueeze(-2) - _as_tensor(x2).unsqueeze(-3)  # (…, P, R, M)
    return diff.norm(p, dim=-1)


def is_tensor(obj: Any) -> bool:
    """True for chainrule tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_nonzero(input: Any) -> bool:  # noqa: A002
    x = _as_tensor(input)
    if x.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(x.item())


__all__ = [
    *METHOD_FUNCTIONS,
    "from_method",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "row_stack",
    "column_stack",
    "where",
    "einsum",
    "broadcast_shapes",
    "broadcast_tensors",
    "meshgrid",
    "var_mean",
    "std_mean",
    "dist",
    "cdist",
    "is_tensor",
    "is_nonzero",
]

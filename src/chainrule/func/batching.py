"""``vmap``: run a function over the leading dimension of its inputs (``torch.func.vmap``).

Differs from PyTorch: there are no batching rules here. ``vmap(f)(x)`` slices x along
``in_dims``, calls f once per slice, and stacks the results along ``out_dims``: exactly the
semantics of ``torch.vmap`` (every op sees one example), at the cost of B Python calls of f for
a batch of B instead of one batched call. It is correct for any f, including transforms
(``vmap(grad(f))`` gives per-example gradients).

>>> import chainrule as torch
>>> vmap(lambda row: row.sum())(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
tensor([3., 7.])
"""

from __future__ import annotations

from typing import Any, Callable

from chainrule._tensor import Tensor
from chainrule.functions import stack

__all__ = ["vmap"]


def vmap(
    func: Callable[..., Any],
    in_dims: "int | None | tuple" = 0,
    out_dims: "int | tuple" = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """Return ``func`` mapped over dim ``in_dims`` of its arguments (None: not mapped)."""

    def mapped(*args: Any, **kwargs: Any) -> Any:
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
        if not sizes:
            raise ValueError("vmap: at least one argument must be a Tensor mapped over a dim")
        if len(sizes) > 1:
            raise ValueError(f"vmap: mapped dims have different sizes {sorted(sizes)}")
        (batch,) = sizes
        results = []
        for b in range(batch):  # the loop fallback: one call of func per example
            sliced = [a.select(d, b) if d is not None else a for a, d in zip(args, dims)]
            results.append(func(*sliced, **kwargs))
        first = results[0]
        if isinstance(first, dict):  # e.g. vmap(grad(loss)) over a dict of parameters
            return {k: stack([r[k] for r in results], dim=out_dims) for k in first}
        if isinstance(first, tuple):
            outs = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(first)
            return tuple(stack([r[k] for r in results], dim=outs[k]) for k in range(len(first)))
        return stack(results, dim=out_dims)

    return mapped

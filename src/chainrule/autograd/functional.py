"""Whole derivatives of a function: ``torch.autograd.functional``'s jacobian, hessian, vjp, jvp, hvp.

Each is a loop of the two primitive passes, and its cost is how many passes it runs:

- ``vjp(f, x, v)``: one reverse pass (vᵀJ), whatever the sizes;
- ``jvp(f, x, u)``: one forward-mode pass (J u), with dual tensors;
- ``jacobian(f, x)``: one reverse pass per *output* element (``strategy="reverse-mode"``, the
  default) or one forward pass per *input* element (``strategy="forward-mode"``);
- ``hvp(f, x, u)``: the gradient, recorded (``create_graph``), then one more reverse pass;
- ``hessian(f, x)``: one reverse pass per input element, through the recorded gradient.

The functions take and return tensors; ``inputs`` may be one tensor or a tuple, and the results
follow the same shape (one tensor, or tuples), as in PyTorch. Inputs are copied off any graph
first, so nothing the caller holds is touched. ``strict`` and ``vectorize`` are accepted for
PyTorch's signatures and ignored (there is no vectorized path: every pass is a loop iteration).

>>> from chainrule import Tensor
>>> x = Tensor([1.0, 2.0], dtype="float64")
>>> jacobian(lambda t: t**2, x)
tensor([[2., 0.],
        [0., 4.]], dtype=chainrule.float64)
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from chainrule.autograd import forward_ad
from chainrule.autograd.backward_pass import grad
from chainrule.autograd.grad_mode import enable_grad
from chainrule.autograd.registry import op

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "stack_rows"]

Tensor = Any


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """Return ``(func(inputs), vᵀJ)``: one reverse pass (``v`` may be omitted for a scalar output)."""
    single, xs = _inputs(inputs)
    with enable_grad():
        out = func(*xs)
        outs = _as_tuple(out)
        vs = _as_tuple(v) if v is not None else (None,) * len(outs)
        grads = _grads(outs, xs, vs, create_graph)
    return _detached(out, create_graph), _shaped(grads, xs, single)


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """Return ``(func(inputs), J u)``: one forward-mode pass with dual tensors.

    Differs from PyTorch: PyTorch computes this with two reverse passes (the "double-backward
    trick"); the result is the same, and here it uses forward mode, which the trick imitates.
    """
    single, xs = _inputs(inputs)
    us = _as_tuple(v) if v is not None else tuple(x._wrap(np.ones_like(x._data)) for x in xs)
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(x, u) for x, u in zip(xs, us)]
        out = func(*duals)
        pairs = [forward_ad.unpack_dual(o) for o in _as_tuple(out)]
    tangents = tuple(t if t is not None else p._wrap(np.zeros_like(p._data)) for p, t in pairs)
    primals = tuple(p.detach() if not create_graph else p for p, _ in pairs)
    if isinstance(out, tuple):
        return primals, tangents
    return primals[0], tangents[0]


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """Return d func / d inputs with shape ``output.shape + input.shape`` (per pair, as torch)."""
    single_in, xs = _inputs(inputs)
    if strategy == "forward-mode":
        return _jacobian_forward(func, xs, single_in)
    if strategy != "reverse-mode":
        raise ValueError(
            f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}"
        )
    with enable_grad():
        out = func(*xs)
        outs = _as_tuple(out)
        table = []  # table[o][i]: d outs[o] / d xs[i]
        for o in outs:
            rows = [[] for _ in xs]
            for j in range(o._data.size):  # one reverse pass per output element
                e_j = np.zeros(o._data.shape, dtype=o._data.dtype)
                e_j.flat[j] = 1
                grads = _grads((o,), xs, (o._wrap(e_j),), create_graph, retain=True)
                for i, g in enumerate(grads):
                    rows[i].append(g)
            table.append(
                tuple(
                    _reshape(stack_rows(r, x), tuple(o.shape) + tuple(x.shape))
                    for r, x in zip(rows, xs)
                )
            )
    result = tuple(t[0] if single_in else t for t in table)
    return result[0] if not isinstance(out, tuple) else result


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """Return the Hessian of a scalar ``func``: the Jacobian of its recorded gradient."""
    single, xs = _inputs(inputs)

    def gradient(*ys: Tensor) -> Any:
        out = func(*ys)
        if out._data.size != 1:
            raise RuntimeError(
                f"hessian: the function must return a single-element tensor, got shape {out._data.shape}"
            )
        grads = _grads((out,), ys, (None,), create_graph=True)
        return grads[0] if single else grads

    return jacobian(
        gradient,
        xs[0] if single else xs,
        create_graph=create_graph,
        strategy=outer_jacobian_strategy,
    )


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """Return ``(func(inputs), H u)``: the gradient, recorded, then one more reverse pass.

    H u = ∇(∇f · u): the cost is about two gradients, never the n² of the full Hessian.
    """
    single, xs = _inputs(inputs)
    us = _as_tuple(v)
    with enable_grad():
        out = func(*xs)
        grads = _grads((out,), xs, (None,), create_graph=True)
        dot = None
        for g, u in zip(grads, us):
            term = (g * u).sum()
            dot = term if dot is None else dot + term
        if dot.requires_grad:
            result = _grads((dot,), xs, (None,), create_graph)
        else:  # the gradient does not depend on x (f is linear): H = 0
            result = tuple(x._wrap(np.zeros_like(x._data)) for x in xs)
    return _detached(out, create_graph), _shaped(result, xs, single)


# ------------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------------
def _inputs(inputs: Any) -> tuple[bool, tuple[Tensor, ...]]:
    """(was it one tensor?, fresh leaves that require grad, one per input)."""
    single = hasattr(inputs, "_node")
    xs = (inputs,) if single else tuple(inputs)
    return single, tuple(x.detach().requires_grad_() for x in xs)


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _grads(outs: tuple, xs: tuple, vs: tuple, create_graph: bool, retain: bool = False) -> tuple:
    """Σ_o v_oᵀ J_o for each x; zeros (not None) for inputs no output depends on."""
    live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    if not live:
        return tuple(x._wrap(np.zeros_like(x._data)) for x in xs)
    grads = grad(
        [o for o, _ in live],
        xs,
        [v for _, v in live] if len(live) > 1 else live[0][1],
        retain_graph=retain or create_graph,
        create_graph=create_graph,
        allow_unused=True,
    )
    return tuple(x._wrap(np.zeros_like(x._data)) if g is None else g for g, x in zip(grads, xs))


def _shaped(grads: tuple, xs: tuple, single: bool) -> Any:
    return grads[0] if single else grads


def _detached(out: Any, create_graph: bool) -> Any:
    if create_graph:
        return out
    if isinstance(out, (tuple, list)):
        return tuple(o.detach() for o in out)
    return out.detach()


def _reshape(t: Tensor, shape: tuple) -> Tensor:
    return op("reshape", t, shape=shape)


def stack_rows(rows: list, like: Tensor) -> Tensor:
    """Join same-shape tensors along a new first dim, recorded (``stack`` made of cat)."""
    if not rows:
        return like._wrap(np.zeros((0,) + like._data.shape, dtype=like._data.dtype))
    return op("cat", *[_reshape(r, (1,) + tuple(r.shape)) for r in rows], dim=0)


def _jacobian_forward(func: Callable[..., Any], xs: tuple, single_in: bool) -> Any:
    """One forward-mode pass per input element: column k of J is J e_k."""
    columns: list[list[list]] = []  # columns[i][o]: the tangents of output o, input i
    out_shapes: list[tuple] = []
    multi = False
    for i, x in enumerate(xs):
        per_output: list[list] = []
        for k in range(x._data.size):
            e_k = np.zeros(x._data.shape, dtype=x._data.dtype)
            e_k.flat[k] = 1
            with forward_ad.dual_level():
                args = [
                    forward_ad.make_dual(y, y._wrap(e_k if j == i else np.zeros_like(y._data)))
                    for j, y in enumerate(xs)
                ]
                out = func(*args)
                multi = isinstance(out, tuple)
                pairs = [forward_ad.unpack_dual(o) for o in _as_tuple(out)]
            if not per_output:
                per_output = [[] for _ in pairs]
                out_shapes = [tuple(p.shape) for p, _ in pairs]
            for slot, (p, t) in zip(per_output, pairs):
                slot.append(t._data if t is not None else np.zeros(p._data.shape, p._data.dtype))
        columns.append(per_output)
    table = []
    for o, shape in enumerate(out_shapes):
        blocks = []
        for i, x in enumerate(xs):
            cols = np.stack(columns[i][o], axis=-1) if columns[i][o] else np.zeros(shape + (0,))
            blocks.append(x._wrap(cols.reshape(shape + x._data.shape)))
        table.append(blocks[0] if single_in else tuple(blocks))
    return tuple(table) if multi else table[0]

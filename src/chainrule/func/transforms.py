"""The function transforms of ``torch.func``: each takes f and returns a new function.

How nesting works here (PyTorch uses "levels" for it): every transform differentiates through
ops that are themselves recorded. The reverse transforms (grad, vjp, jacrev) run the backward
pass with ``create_graph=True``; the forward ones (jvp, jacfwd) open a ``dual_level`` and read
tangents, and since the recorded backward pass is made of ordinary ops, tangents flow through
it too. So ``jacfwd(jacrev(f))`` (forward over reverse, PyTorch's choice for the Hessian) works.

>>> import chainrule as torch
>>> hessian(lambda x: (x**3).sum())(torch.tensor([1.0, 2.0]))  # diag(6x)
tensor([[ 6.,  0.],
        [ 0., 12.]])
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from chainrule import autograd
from chainrule._tensor import Tensor
from chainrule.autograd import forward_ad
from chainrule.autograd.functional import stack_rows

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]

Argnums = "int | tuple[int, ...]"

_const = Tensor._wrap  # an array as a graph-free tensor, keeping its dtype


def grad(func: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """Return a function computing d func / d args[argnums] (func must return one element).

    >>> import chainrule as torch
    >>> grad(lambda x, y: (x * y).sum(), argnums=1)(torch.tensor([2.0]), torch.tensor([5.0]))
    tensor([2.])
    """
    both = grad_and_value(func, argnums, has_aux)

    def gradient(*args: Any, **kwargs: Any) -> Any:
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return gradient


def grad_and_value(
    func: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable:
    """Return a function giving ``(gradient, value)`` (``(gradient, (value, aux))`` with has_aux)."""

    def gradient_and_value(*args: Any, **kwargs: Any) -> Any:
        nested = _is_nested(args)
        args, tracked, templates = _track(args, argnums)
        with autograd.enable_grad():
            result = func(*args, **kwargs)
            out, aux = _split_aux(result, has_aux, "grad")
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad: the function must return a single-element tensor, got shape "
                    f"{tuple(out.shape)} (use vjp or jacrev for other outputs)"
                )
            grads = _grads((out,), tracked, (None,))
        if not nested:
            grads, out = _detach(grads), out.detach()
        per_arg = _per_argument(grads, templates)
        g = per_arg[0] if isinstance(argnums, int) else per_arg
        return (g, (out, aux)) if has_aux else (g, out)

    return gradient_and_value


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """Return ``(func(*primals), vjp_fn)``; ``vjp_fn(v)`` gives vᵀJ, one tensor per primal.

    >>> import chainrule as torch
    >>> out, vjp_fn = vjp(lambda x: x * 3, torch.tensor([1.0, 2.0]))
    >>> vjp_fn(torch.tensor([1.0, 1.0]))
    (tensor([3., 3.]),)
    """
    args, tracked, templates = _track(primals, tuple(range(len(primals))))
    with autograd.enable_grad():
        result = func(*args)
    out, aux = _split_aux(result, has_aux, "vjp")
    outs = out if isinstance(out, tuple) else (out,)

    def vjp_fn(v: Any) -> tuple:
        vs = v if isinstance(v, tuple) else (v,)
        if len(vs) != len(outs):
            raise RuntimeError(f"vjp: expected {len(outs)} cotangents, got {len(vs)}")
        with autograd.enable_grad():
            return _per_argument(_grads(outs, tracked, vs), templates)

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(
    func: Callable[..., Any], primals: tuple, tangents: tuple, *, has_aux: bool = False
) -> tuple:
    """Return ``(func(*primals), J·tangents)``: one forward-mode pass.

    >>> import chainrule as torch
    >>> jvp(lambda x: x**2, (torch.tensor([3.0]),), (torch.tensor([1.0]),))
    (tensor([9.]), tensor([6.]))
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp: primals and tangents must be tuples (as in torch.func.jvp)")
    if len(primals) != len(tangents):
        raise RuntimeError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(primals, tangents)]
        result = func(*duals)
        out, aux = _split_aux(result, has_aux, "jvp")
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [forward_ad.unpack_dual(o) for o in outs]
    primal_out = tuple(p for p, _ in pairs)
    tangent_out = tuple(t if t is not None else _const(np.zeros_like(p._data)) for p, t in pairs)
    if not isinstance(out, tuple):
        primal_out, tangent_out = primal_out[0], tangent_out[0]
    return (primal_out, tangent_out, aux) if has_aux else (primal_out, tangent_out)


def jacrev(func: Callable[..., Any], argnums: Argnums = 0, *, has_aux: bool = False) -> Callable:
    """Return a function giving the Jacobian by reverse mode: one backward pass per output element.

    The result has shape ``output.shape + input.shape``.
    """

    def jacobian(*args: Any, **kwargs: Any) -> Any:
        nested = _is_nested(args)
        args, tracked, templates = _track(args, argnums)
        with autograd.enable_grad():
            result = func(*args, **kwargs)
            out, aux = _split_aux(result, has_aux, "jacrev")
            outs = out if isinstance(out, tuple) else (out,)
            table = []
            for o in outs:
                rows: list[list] = [[] for _ in tracked]
                for j in range(o._data.size):
                    e_j = np.zeros(o._data.shape, dtype=o._data.dtype)
                    e_j.flat[j] = 1
                    for i, g in enumerate(_grads((o,), tracked, (_const(e_j),), retain=True)):
                        rows[i].append(g)
                blocks = tuple(
                    stack_rows(r, x).reshape(tuple(o.shape) + tuple(x.shape))
                    for r, x in zip(rows, tracked)
                )
                if not nested:
                    blocks = _detach(blocks)
                per_arg = _per_argument(blocks, templates)
                table.append(per_arg[0] if isinstance(argnums, int) else per_arg)
        jac = tuple(table) if isinstance(out, tuple) else table[0]
        return (jac, aux) if has_aux else jac

    return jacobian


def jacfwd(func: Callable[..., Any], argnums: Argnums = 0, *, has_aux: bool = False) -> Callable:
    """Return a function giving the Jacobian by forward mode: one dual pass per input element."""

    def jacobian(*args: Any, **kwargs: Any) -> Any:
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        per_input = []
        aux = None
        outs_meta = None
        for i in nums:
            x = args[i]
            columns: list[list] = []
            for k in range(x._data.size):
                e_k = np.zeros(x._data.shape, dtype=x._data.dtype)
                e_k.flat[k] = 1
                with forward_ad.dual_level():
                    moved = list(args)
                    moved[i] = forward_ad.make_dual(x, _const(e_k))
                    result = func(*moved, **kwargs)
                    out, aux = _split_aux(result, has_aux, "jacfwd")
                    outs = out if isinstance(out, tuple) else (out,)
                    pairs = [forward_ad.unpack_dual(o) for o in outs]
                outs_meta = (isinstance(out, tuple), [tuple(p.shape) for p, _ in pairs])
                if not columns:
                    columns = [[] for _ in pairs]
                for col, (p, t) in zip(columns, pairs):
                    col.append(t._data if t is not None else np.zeros_like(p._data))
            per_input.append(columns)
        multi, shapes = outs_meta
        table = []
        for o, shape in enumerate(shapes):
            blocks = tuple(
                _const(np.stack(cols[o], axis=-1).reshape(shape + tuple(args[i].shape)))
                for cols, i in zip(per_input, nums)
            )
            table.append(blocks[0] if isinstance(argnums, int) else blocks)
        jac = tuple(table) if multi else table[0]
        return (jac, aux) if has_aux else jac

    return jacobian


def hessian(func: Callable[..., Any], argnums: Argnums = 0) -> Callable:
    """Return a function giving the Hessian: ``jacfwd(jacrev(func))``, forward over reverse.

    Cost: n forward passes through the recorded gradient, for n input elements.
    """
    return jacfwd(jacrev(func, argnums), argnums)


# ------------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------------
def _track(args: tuple, argnums: Argnums) -> tuple[list, tuple, list]:
    """The arguments with those in ``argnums`` made differentiable, the tracked tensors (flat),
    and the arguments as given (to put gradients back into the same dicts/tuples: pytrees).

    A tensor that already requires grad (an outer transform's) is viewed, not detached, so the
    outer transform can differentiate through this one; a tangent it carries is kept.
    """
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    tracked: list = []
    templates = []
    for i in nums:
        leaves = _leaves(args[i], f"argnums: argument {i}")
        made = [_tracked(x) for x in leaves]
        templates.append(args[i])
        args[i] = _rebuild(args[i], made)
        tracked.extend(made)
    return args, tuple(tracked), templates


def _tracked(x: Tensor) -> Tensor:
    tangent = forward_ad.tangent_of(x)
    if x.requires_grad:
        return x.view_as(x)
    t = x.detach().requires_grad_()
    return forward_ad.make_dual(t, tangent) if tangent is not None else t


def _leaves(x: Any, where: str) -> list:
    """The tensors in an argument: itself, a dict's values, or a tuple's/list's items."""
    items = (
        list(x.values())
        if isinstance(x, dict)
        else list(x)
        if isinstance(x, (tuple, list))
        else [x]
    )
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{where} must be a Tensor (or a dict/tuple of them), got {type(t).__name__}"
            )
    return items


def _rebuild(template: Any, leaves: list) -> Any:
    if isinstance(template, dict):
        return dict(zip(template, leaves))
    if isinstance(template, (tuple, list)):
        return type(template)(leaves)
    return leaves[0]


def _per_argument(flat: tuple, templates: list) -> tuple:
    """Flat per-tensor results regrouped like the arguments they belong to."""
    out, start = [], 0
    for template in templates:
        n = len(_leaves(template, "argument"))
        out.append(_rebuild(template, list(flat[start : start + n])))
        start += n
    return tuple(out)


def _is_nested(args: tuple) -> bool:
    """Is an outer transform watching (a tensor that requires grad, or carries a tangent)?
    Only then must the result keep its graph; the outermost call hands back plain tensors."""
    return any(
        isinstance(a, Tensor) and (a.requires_grad or forward_ad.tangent_of(a) is not None)
        for arg in args
        for a in (
            arg.values()
            if isinstance(arg, dict)
            else arg
            if isinstance(arg, (tuple, list))
            else (arg,)
        )
    )


def _detach(ts: tuple) -> tuple:
    return tuple(t.detach() for t in ts)


def _split_aux(result: Any, has_aux: bool, where: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, tuple) or len(result) != 2:
        raise RuntimeError(f"{where}: with has_aux=True the function must return (output, aux)")
    return result


def _grads(outs: tuple, tracked: tuple, vs: tuple, retain: bool = True) -> tuple:
    """Σ_o v_oᵀ J_o for each tracked tensor, recorded; zeros for tensors no output reaches."""
    live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    grads: tuple = (None,) * len(tracked)
    if live:
        grads = autograd.grad(
            [o for o, _ in live],
            tracked,
            [v for _, v in live],
            retain_graph=retain,
            create_graph=True,
            allow_unused=True,
        )
    return tuple(_const(np.zeros_like(x._data)) if g is None else g for g, x in zip(grads, tracked))

"""``chainrule.autograd.Function``: write an op's forward and backward yourself, as in PyTorch.

The lab's "write a layer's backward pass by hand" in PyTorch's own form: subclass ``Function``,
give it a ``forward(ctx, ...)`` that computes the output (and saves what backward needs with
``ctx.save_for_backward``) and a ``backward(ctx, grad_output)`` that returns one gradient per
input (None for inputs that need none). ``MyOp.apply(x, w)`` runs it and records one graph node,
so ``loss.backward()`` calls your backward exactly where the chain rule reaches the op.

>>> class Square(Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return 2 * x * g          # d(x²)/dx = 2x, times the upstream gradient
>>> x = chainrule.tensor([3.0], requires_grad=True)
>>> y = Square.apply(x); y.backward(); x.grad, y.grad_fn
(tensor([6.]), <SquareBackward>)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule._tensor.dispatch import wrap
from chainrule.autograd.forward_ad import tangent_of
from chainrule.autograd.grad_mode import no_grad
from chainrule.autograd.grad_mode import state as _mode
from chainrule.autograd.graph import Node
from chainrule.autograd.registry import Rule

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """What ``forward`` hands to ``backward``: saved tensors, and which inputs need a gradient.

    Any other attribute can be set on it too (``ctx.dim = dim``), as in PyTorch.
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self.materialize_grads = True
        self._inputs: list[tuple[tuple[int, ...], np.dtype]] = []
        self._non_differentiable: set[int] = set()
        # per output: (shape, dtype) for the zeros that stand for "no gradient reached it"
        self._outputs: list[tuple[tuple[int, ...], np.dtype]] = []

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument is of type "
                    f"{type(t).__name__} (store other values as ctx attributes)"
                )
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Mark outputs (indices, masks) that get no gradient: they come back with no graph."""
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class Function:
    """Base class for an op with a hand-written backward; use it through ``apply``."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the backward function for custom autograd.Function."
        )

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` (not recorded), then record one node whose VJP is ``backward``."""
        if _mode.dual_level is not None and any(tangent_of(a) is not None for a in args):
            # forward mode would need a hand-written jvp as well (torch's Function.jvp)
            raise RuntimeError(f"{cls.__name__}: forward-mode derivative (JVP) not implemented")
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        # each input's shape and dtype, for the zeros a backward's None stands for
        ctx._inputs = [
            (np.shape(getattr(a, "_data", a)), getattr(a, "_data", np.empty(0)).dtype) for a in args
        ]
        with no_grad():
            out = cls.forward(ctx, *args)
        outputs = out if isinstance(out, tuple) else (out,)
        for o in outputs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"{cls.__name__}.forward must return a tensor or a tuple of tensors "
                    f"(got {type(o).__name__})"
                )
        if not (_mode.grad_enabled and any(needs)):
            return out
        ctx._outputs = [(o.numpy().shape, o.numpy().dtype) for o in outputs]
        # One node per differentiable output, all sharing ctx. Node i hands backward its own
        # upstream gradient and zeros for the others; since backward is linear in the
        # gradients, the inputs' summed contributions equal torch's single call with all of
        # them (the cost: backward runs once per output that the loss reaches).
        wrapped = []
        for i, o in enumerate(outputs):
            if id(o) in ctx._non_differentiable:
                wrapped.append(wrap(o.numpy()))
                continue
            node = Node(_rule_for(cls, i, len(outputs)), ctx, args, needs)
            node.label = f"{cls.__name__}Backward"
            wrapped.append(wrap(o.numpy(), node))
        return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]


_rules: dict[tuple[type, int, int], Rule] = {}


def _rule_for(cls: type, output: int, n_outputs: int) -> Rule:
    """One Rule per (Function class, output): its VJP calls the class's backward on tensors."""
    key = (cls, output, n_outputs)
    rule = _rules.get(key)
    if rule is None:

        def vjp(g: np.ndarray, ctx: FunctionCtx, needs: tuple[bool, ...]) -> tuple:
            grad_outputs = [
                wrap(g) if i == output else _no_gradient(ctx, i) for i in range(n_outputs)
            ]
            with no_grad():
                grads = cls.backward(ctx, *grad_outputs)
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) != len(needs):
                raise RuntimeError(
                    f"function {cls.__name__}Backward returned an incorrect number of gradients "
                    f"(expected {len(needs)}, got {len(grads)})"
                )
            out = []
            for gi, need, (shape, dtype) in zip(grads, needs, ctx._inputs):
                if not need:
                    out.append(None)
                elif gi is None:  # "no gradient" for an input that needs one: zeros, as torch
                    out.append(np.zeros(shape, dtype=dtype))
                else:
                    out.append(gi.numpy() if isinstance(gi, Tensor) else np.asarray(gi))
            return tuple(out)

        rule = Rule(cls.__name__, forward=None, vjp=vjp, broadcasts=False)  # type: ignore[arg-type]
        _rules[key] = rule
    return rule


def _no_gradient(ctx: FunctionCtx, output: int) -> Tensor | None:
    # What backward receives for an output the loss did not reach: zeros (torch's default), or
    # None after ctx.set_materialize_grads(False).
    if not ctx.materialize_grads:
        return None
    shape, dtype = ctx._outputs[output]
    return wrap(np.zeros(shape, dtype=dtype))

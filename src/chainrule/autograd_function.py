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
        """Accepted for PyTorch's code; a single-output Function's output is differentiable."""

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
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return one tensor here (got {type(out).__name__}); "
                f"a Function with several outputs is not supported"
            )
        if not (_mode.grad_enabled and any(needs)):
            return out
        node = Node(_rule_for(cls), ctx, args, needs)
        node.label = f"{cls.__name__}Backward"
        return wrap(out.numpy(), node)


_rules: dict[type, Rule] = {}


def _rule_for(cls: type) -> Rule:
    """One Rule per Function class, whose VJP calls the class's backward on tensors."""
    rule = _rules.get(cls)
    if rule is None:

        def vjp(g: np.ndarray, ctx: FunctionCtx, needs: tuple[bool, ...]) -> tuple:
            with no_grad():
                grads = cls.backward(ctx, wrap(g))
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

        rule = _rules[cls] = Rule(cls.__name__, forward=None, vjp=vjp, broadcasts=False)  # type: ignore[arg-type]
    return rule

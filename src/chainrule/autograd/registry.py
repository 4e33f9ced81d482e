"""The rule registry: one :class:`Rule` per primitive, looked up by name.

The table itself (every primitive's forward and VJP) is ``chainrule.autograd.rules``; this file
is only the plumbing that stores it.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

Saved = Any
Needs = tuple[bool, ...]
Grads = tuple["np.ndarray | None", ...]

__all__ = ["Rule", "RULES", "register", "primitive", "get_rule", "op", "set_dispatcher"]


class Rule:
    """A primitive: its name, forward, VJP, whether it broadcasts, and its VJP in words.

    ``formula[i]`` is the gradient sent to input ``i`` written out (``g`` is dL/d(out)), for
    graph traces; variadic ops (cat, einsum) give one formula that applies to every input.

    Two more functions make the other modes of differentiation (None where a rule lacks one):

    - ``graph_vjp(g, inputs, saved, needs)``: the same VJP written with Tensor operations on the
      node's input *tensors*, so that the backward pass is itself recorded
      (``create_graph=True``: gradients of gradients);
    - ``jvp(tangents, arrays, out, saved, params)``: the Jacobian-vector product on NumPy
      arrays, the tangent of the output given one tangent (or None, meaning 0) per input
      (forward mode, ``autograd.forward_ad``).
    """

    __slots__ = ("name", "forward", "vjp", "broadcasts", "formula", "graph_vjp", "jvp")

    def __init__(
        self,
        name: str,
        forward: Callable[..., tuple[np.ndarray, Saved]],
        vjp: Callable[[np.ndarray, Saved, Needs], Grads] | None,
        broadcasts: bool,
        formula: tuple[str, ...] = (),
        graph_vjp: Callable[..., tuple] | None = None,
        jvp: Callable[..., np.ndarray] | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.broadcasts = broadcasts
        self.formula = formula
        self.graph_vjp = graph_vjp
        self.jvp = jvp

    def __repr__(self) -> str:
        return f"Rule({self.name!r})"


RULES: dict[str, Rule] = {}


def register(
    name: str,
    forward: Callable[..., tuple[np.ndarray, Saved]],
    vjp: Callable[[np.ndarray, Saved, Needs], Grads] | None,
    *,
    broadcasts: bool = False,
    formula: tuple[str, ...] = (),
    graph_vjp: Callable[..., tuple] | None = None,
    jvp: Callable[..., np.ndarray] | None = None,
) -> Rule:
    """Add a primitive to the table (a ``vjp`` of None makes the op non-differentiable)."""
    if name in RULES:
        raise ValueError(f"register: a rule named {name!r} already exists")
    RULES[name] = rule = Rule(name, forward, vjp, broadcasts, formula, graph_vjp, jvp)
    return rule


def primitive(
    name: str, *, broadcasts: bool = False, formula: tuple[str, ...] = ()
) -> Callable[[type], type]:
    """Register the decorated class's ``forward`` and ``vjp`` as primitive ``name``.

    The class is only a way to keep one primitive's metadata, forward and VJP in one unit, with
    the name first (the shape ``torch.autograd.Function`` has): its two functions take no
    ``self`` and are stored as they are.
    """

    def register_class(cls: type) -> type:
        body = vars(cls)
        register(
            name,
            body["forward"],
            body.get("vjp"),
            broadcasts=broadcasts,
            formula=formula,
            graph_vjp=body.get("graph_vjp"),
            jvp=body.get("jvp"),
        )
        return cls

    return register_class


def get_rule(name: str) -> Rule:
    """Look a primitive up by name, failing loudly (and by name) when it is missing.

    >>> get_rule("matmul")
    Rule('matmul')
    """
    try:
        return RULES[name]
    except KeyError:
        raise NotImplementedError(f"no rule is registered for op {name!r}") from None


# ------------------------------------------------------------------------------------------------
# Running a rule on tensors, for the rules' own differentiable VJPs
# --------------------------------------------------------------------------------------------------
_dispatcher: list[Callable[..., Any]] = []


def set_dispatcher(apply: Callable[..., Any]) -> None:
    """Hand the engine the Tensor's ``apply`` (called once, by ``chainrule._tensor.dispatch``).

    The engine never imports the Tensor class; a ``graph_vjp`` that needs a named op on tensors
    (``op("exp", x)``) reaches it through this one seam.
    """
    _dispatcher[:] = [apply]


def op(name: str, *inputs: Any, **params: Any) -> Any:
    """Run primitive ``name`` on tensors, recording it like any other op (``op("exp", x)``)."""
    return _dispatcher[0](name, *inputs, **params)

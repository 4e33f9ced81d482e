"""Gradients that are ``Value``s themselves, so they can be differentiated again.

The first-order backward pass (``Value.backward``) multiplies plain numbers: each node's
local derivatives were recorded as floats in the forward pass (for ``t = tanh(x)`` the
number 1 - t²). A float has no history, so that gradient is a dead end. To differentiate a
gradient, the gradient must be a graph too:

1. every local derivative is rebuilt from ``Value`` operations on the node's inputs and
   output (1 - t² as ``1 - t * t``, a node that depends on x): the table below, one rule
   per op, beside the formula it writes;
2. the backward pass then runs the same chain rule, ``downstream = upstream × local``,
   with Value products and sums, so each gradient is a Value whose graph leads back to the
   leaves.

Run backward on such a gradient and you get the second derivative; repeat for any order.
This is PyTorch's ``create_graph=True``. The first-order pass in ``value.py`` is unchanged
and pays nothing for it: the table is read only when ``create_graph`` is on.

>>> from chainrule.scalar import Value
>>> x = Value(3.0, label="x")
>>> y = x**3
>>> (dy,) = grad(y, [x], create_graph=True)  # 3x² = 27, as a Value
>>> (d2y,) = grad(dy, [x], create_graph=True)  # 6x = 18
>>> (d3y,) = grad(d2y, [x])  # 6
>>> dy.data, d2y.data, d3y.data
(27.0, 18.0, 6.0)

``backward(create_graph=True)`` stores such gradients in ``.grad``. Then ``x.grad`` refers to
a graph that refers back to ``x``: a reference cycle, freed by Python's garbage collector
rather than at once (PyTorch warns about the same cycle). ``grad`` returns the gradients
without storing them, so it makes no cycle; prefer it for second derivatives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Union

from chainrule.scalar.graph import topological_order

if TYPE_CHECKING:
    from chainrule.scalar.value import Value

#: A local derivative or a gradient: a Value when it depends on the graph, a float when it
#: is a constant (d(a+b)/da = 1 needs no node, and 1 × upstream is just upstream).
Local = Union["Value", float]


# ---- each op's local derivatives, written with Value operations -------------------------------
# ``out`` is the node, ``out.inputs`` its inputs in order. A rule may use ``out`` itself where
# the formula does (e^x is the output of exp): it is a Value that depends on the inputs.


def _add(out: Value) -> tuple[Local, ...]:
    return (1.0, 1.0)  # d(a+b)/da = 1, d(a+b)/db = 1


def _sub(out: Value) -> tuple[Local, ...]:
    return (1.0, -1.0)  # d(a-b)/da = 1, d(a-b)/db = -1


def _mul(out: Value) -> tuple[Local, ...]:
    a, b = out.inputs
    return (b, a)  # d(ab)/da = b, d(ab)/db = a


def _div(out: Value) -> tuple[Local, ...]:
    _, b = out.inputs
    return (1.0 / b, -out / b)  # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -(a/b)/b


def _pow_number(out: Value) -> tuple[Local, ...]:
    (x,) = out.inputs
    n = out._exponent  # the exact exponent (the op's symbol shows it rounded)
    return (n * x ** (n - 1.0) if n != 0.0 else 0.0,)  # d(x^n)/dx = n x^(n-1)


def _pow_value(out: Value) -> tuple[Local, ...]:
    x, y = out.inputs
    return (y * x ** (y - 1.0), out * x.log())  # d/dx = y x^(y-1), d/dy = x^y ln x


def _neg(out: Value) -> tuple[Local, ...]:
    return (-1.0,)  # d(-a)/da = -1


def _relu(out: Value) -> tuple[Local, ...]:
    # 1 where x > 0, else 0: piecewise constant, so its own derivative is 0 (a float).
    (x,) = out.inputs
    return (1.0 if x.data > 0.0 else 0.0,)


def _sigmoid(out: Value) -> tuple[Local, ...]:
    return (out * (1.0 - out),)  # dσ/dx = σ(1 - σ)


def _tanh(out: Value) -> tuple[Local, ...]:
    return (1.0 - out * out,)  # d tanh/dx = 1 - tanh²


def _exp(out: Value) -> tuple[Local, ...]:
    return (out,)  # d e^x/dx = e^x, the output itself


def _log(out: Value) -> tuple[Local, ...]:
    (x,) = out.inputs
    return (1.0 / x,)  # d ln x/dx = 1/x


def _linear(out: Value) -> tuple[Local, ...]:
    # Σ wᵢ xᵢ + b with inputs (w₁..wₙ, x₁..xₙ, b): d/dwᵢ = xᵢ, d/dxᵢ = wᵢ, d/db = 1.
    n = (len(out.inputs) - 1) // 2
    w, x = out.inputs[:n], out.inputs[n : 2 * n]
    return (*x, *w, 1.0)


def _bce(out: Value) -> tuple[Local, ...]:
    z, y = out.inputs
    return (z.sigmoid() - y, -z)  # dL/dz = σ(z) - y, dL/dy = -z


#: op symbol -> its local derivatives as Values. ``x ** n`` nodes (symbol ``**3``, ``**0.5``,
#: ...) all use ``_pow_number``; ``**`` alone is a Value exponent.
LOCAL_DERIVATIVES: dict[str, Callable[[Value], tuple[Local, ...]]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "**": _pow_value,
    "**n": _pow_number,
    "neg": _neg,
    "relu": _relu,
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "exp": _exp,
    "log": _log,
    "Σw·x+b": _linear,
    "bce": _bce,
}


def local_derivatives(node: Value) -> tuple[Local, ...]:
    """``node``'s local derivatives as Values (or constant floats) that can be differentiated.

    They equal the numbers ``node.local_grads`` recorded in the forward pass.

    >>> from chainrule.scalar import Value
    >>> t = Value(0.5).tanh()
    >>> (local,) = local_derivatives(t)
    >>> round(local.data, 12) == round(t.local_grads[0], 12), local.op
    (True, '-')
    """
    op = node.op
    if op.startswith("**") and op != "**":
        op = "**n"
    rule = LOCAL_DERIVATIVES.get(op)
    if rule is None:
        raise NotImplementedError(
            f"create_graph: the op {node.op!r} has no rule in higher_order.LOCAL_DERIVATIVES, "
            "so its gradient cannot be differentiated again"
        )
    return rule(node)


# ---- the backward pass that builds a graph ----------------------------------------------------
def _backpropagate(root: Value, create_graph: bool, seed: Local = 1.0) -> dict[Value, Local]:
    """dL/d(node) for every node ``root`` depends on: Values if ``create_graph``, else floats.

    The same loop as ``Value.backward``, root first; only the local derivatives differ.
    """
    grads: dict[Value, Local] = {root: seed}  # dL/dL = 1, unless the caller seeds otherwise
    for node in reversed(topological_order(root)):  # a node's gradient is final when visited
        if node.is_leaf:
            continue
        upstream = grads[node]
        locals_ = local_derivatives(node) if create_graph else node.local_grads
        for child, local in zip(node.inputs, locals_):
            share = _times(local, upstream)  # downstream = upstream × local
            grads[child] = grads[child] + share if child in grads else share
    return grads


def _times(local: Local, upstream: Local) -> Local:
    # 1 × upstream is upstream: no node for the constant local derivatives of + and -.
    if isinstance(local, float) and local == 1.0:
        return upstream
    return local * upstream


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    grad_outputs: Local | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Value | None, ...]:
    """Return d(output)/d(input) for each input as a ``Value``; store nothing in ``.grad``.

    PyTorch's ``torch.autograd.grad`` for the scalar engine. With ``create_graph=True``
    each gradient is built from the graph and can be differentiated again; without it,
    each is a new leaf holding the number. ``grad_outputs`` scales the result (the seed
    dL/d(output), 1 by default; a Value seed is differentiable too). An input ``output`` does
    not depend on is an error unless ``allow_unused=True``, which gives None for it (as
    PyTorch does). ``inputs`` may be one Value; the result is always a tuple.

    >>> from chainrule.scalar import Value
    >>> x, y = Value(2.0, label="x"), Value(5.0, label="y")
    >>> dx, dy = grad(x * y + x, [x, y])
    >>> dx.data, dy.data, x.grad
    (6.0, 2.0, 0.0)
    """
    value_type = type(output)  # Value: this module cannot import it (value.py imports this one)
    if isinstance(inputs, value_type):
        inputs = [inputs]
    if not isinstance(inputs, Sequence):
        raise TypeError(f"grad: inputs must be a list of Values, got {type(inputs).__name__}")
    seed: Local = 1.0
    if grad_outputs is not None:
        seed = grad_outputs if isinstance(grad_outputs, value_type) else float(grad_outputs)
        if not create_graph and isinstance(seed, value_type):
            seed = seed.data
    grads = _backpropagate(output, create_graph, seed)
    result: list[Value | None] = []
    for i, x in enumerate(inputs):
        if not isinstance(x, value_type):
            raise TypeError(f"grad: inputs[{i}] is a {type(x).__name__}, not a Value")
        if x not in grads:
            if not allow_unused:
                name = f" {x.label!r}" if x.label else ""
                raise ValueError(
                    f"grad: inputs[{i}]{name} is not used to compute the output "
                    "(pass allow_unused=True to get None for it)"
                )
            result.append(None)
            continue
        g = grads[x]
        if not create_graph:
            g = value_type(g.data if isinstance(g, value_type) else g)
        result.append(g if isinstance(g, value_type) else value_type(g))
    return tuple(result)


def backward_creating_graph(root: Value) -> None:
    """``root.backward(create_graph=True)``: every ``.grad`` becomes a differentiable Value.

    As in the first-order pass, intermediate nodes hold this pass's gradient and leaves add
    it to what they hold.
    """
    value_type = type(root)  # Value: this module cannot import it (value.py imports this one)
    for node, g in _backpropagate(root, create_graph=True).items():
        g = g if isinstance(g, value_type) else value_type(g)
        if node.inputs or (isinstance(node.grad, float) and node.grad == 0.0):
            node.grad = g
        else:  # a leaf that already holds a gradient: accumulate, as PyTorch does
            node.grad = node.grad + g

"""Forward mode: carry each number's rate of change along with the number itself.

Reverse mode (``Value.backward``) starts at the output and sends gradients back: one pass
gives d(output)/d(every input). Forward mode starts at the inputs: give each input a
*tangent* ẋ (how fast it moves), and every op passes on

    ẏ = Σᵢ (local derivative dy/dxᵢ) × ẋᵢ

with the same local derivatives reverse mode uses, multiplied in the other order. One pass
gives one directional derivative, J·ẋ. The full gradient of a scalar loss in n inputs takes
n forward passes (seed one input at a time) but a single reverse pass: the course's cost
table, "forward: one pass per input, reverse: one pass per output".

Two ways to run it, both here:

- **Dual numbers** (``Dual``, ``jvp``): a number that travels with its tangent, a + ȧ ε with
  ε² = 0. No graph is recorded at all; the tangent is computed alongside the value, op by op.
  ``jvp(f, primals, tangents)`` runs ``f`` on Duals.
- **On a recorded graph** (``push_tangents``, ``forward_gradient``): a graph already built
  from ``Value``s is walked from the leaves up with its recorded local derivatives, so one
  graph shows both modes side by side (``chainrule.explain(root, mode="forward")``).

>>> def f(x, y):
...     return x * y + x.tanh()
>>> value, slope = jvp(f, (1.0, 3.0), (1.0, 0.0))  # df/dx = y + 1 - tanh²(x)
>>> round(value, 6), round(slope, 6)
(3.761594, 3.419974)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Union

from chainrule.scalar.graph import topological_order
from chainrule.scalar.value import Value, _as_float, _sigmoid

DualOperand = Union["Dual", int, float]


def _dual(x: DualOperand, op: str) -> Dual:
    """A plain number operand of ``op`` as a Dual with tangent 0 (a constant does not move)."""
    if isinstance(x, Dual):
        return x
    return Dual(_as_float(x, f"the operand of {op}"))


class Dual:
    """A number and its tangent: ``Dual(2.0, 1.0)`` is x = 2 moving at dx/dt = 1.

    Each op computes its value and its tangent side by side: for y = f(a, b),
    ẏ = (∂f/∂a) ȧ + (∂f/∂b) ḃ. The methods are ``Value``'s (``tanh``, ``exp``, ``relu``, ...),
    so a function written for Values runs on Duals unchanged.

    >>> x = Dual(2.0, 1.0)
    >>> y = x * x + 3 * x  # dy/dx = 2x + 3
    >>> y.primal, y.tangent
    (10.0, 7.0)
    """

    __slots__ = ("primal", "tangent")
    __array_ufunc__ = None  # as for Value: NumPy scalars hand the op to Dual's reflected method

    def __init__(self, primal: float, tangent: float = 0.0) -> None:
        # Fast path, as in Value: every internal result is already a float.
        self.primal = primal if type(primal) is float else _as_float(primal, "Dual primal")
        self.tangent = tangent if type(tangent) is float else _as_float(tangent, "Dual tangent")

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal:.6g}, tangent={self.tangent:.6g})"

    # ---- binary ops: the value, then the tangent ------------------------------------------------
    def __add__(self, other: DualOperand) -> Dual:
        o = _dual(other, "+")
        return Dual(self.primal + o.primal, self.tangent + o.tangent)  # (a+b)˙ = ȧ + ḃ

    def __sub__(self, other: DualOperand) -> Dual:
        o = _dual(other, "-")
        return Dual(self.primal - o.primal, self.tangent - o.tangent)  # (a-b)˙ = ȧ - ḃ

    def __mul__(self, other: DualOperand) -> Dual:
        o = _dual(other, "*")
        a, b = self.primal, o.primal
        return Dual(a * b, b * self.tangent + a * o.tangent)  # (ab)˙ = b ȧ + a ḃ

    def __truediv__(self, other: DualOperand) -> Dual:
        o = _dual(other, "/")
        if o.primal == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {o!r}")
        out = self.primal / o.primal
        return Dual(out, (self.tangent - out * o.tangent) / o.primal)  # (a/b)˙ = (ȧ - (a/b) ḃ)/b

    def __pow__(self, other: DualOperand) -> Dual:
        if isinstance(other, Dual):
            return self._pow_dual(other)
        n = _as_float(other, "** exponent")
        x = self.primal
        if x == 0.0 and n < 0:
            raise ZeroDivisionError(f"0 raised to the negative power {n:g}: {self!r} ** {n:g}")
        if x < 0 and not n.is_integer():
            raise ValueError(
                f"a negative number to a fractional power is not real: {self!r} ** {n:g}"
            )
        local = n * x ** (n - 1) if n != 0.0 else 0.0  # d(x^n)/dx = n x^(n-1)
        return Dual(x**n, local * self.tangent)

    def _pow_dual(self, other: Dual) -> Dual:
        """x ** y, both moving: (x^y)˙ = y x^(y-1) ẋ + x^y ln x ẏ (needs x > 0)."""
        x, y = self.primal, other.primal
        if x <= 0.0:
            raise ValueError(
                f"x ** y with a Dual exponent needs x > 0 (d/dy = x^y ln x), got x = {x:g}"
            )
        out = x**y
        return Dual(out, y * x ** (y - 1.0) * self.tangent + out * math.log(x) * other.tangent)

    def __neg__(self) -> Dual:
        return Dual(-self.primal, -self.tangent)

    def __pos__(self) -> Dual:
        return self

    def __radd__(self, other: DualOperand) -> Dual:
        return _dual(other, "+") + self

    def __rsub__(self, other: DualOperand) -> Dual:
        return _dual(other, "-") - self

    def __rmul__(self, other: DualOperand) -> Dual:
        return _dual(other, "*") * self

    def __rtruediv__(self, other: DualOperand) -> Dual:
        return _dual(other, "/") / self

    def __rpow__(self, other: DualOperand) -> Dual:
        return _dual(other, "**") ** self

    # ---- unary ops: ẏ = f'(x) ẋ ---------------------------------------------------------------
    def relu(self) -> Dual:
        """max(0, x); f'(x) = 1 where x > 0, else 0."""
        x = self.primal
        return Dual(x if x > 0.0 else 0.0, self.tangent if x > 0.0 else 0.0)

    def sigmoid(self) -> Dual:
        """σ(x); f'(x) = σ(x)(1 - σ(x))."""
        s = _sigmoid(self.primal)
        return Dual(s, s * (1.0 - s) * self.tangent)

    def tanh(self) -> Dual:
        """tanh(x); f'(x) = 1 - tanh²(x)."""
        t = math.tanh(self.primal)
        return Dual(t, (1.0 - t * t) * self.tangent)

    def exp(self) -> Dual:
        """e^x; f'(x) = e^x."""
        try:
            e = math.exp(self.primal)
        except OverflowError:
            raise OverflowError(f"exp overflows a float for {self!r} (max about 709.78)") from None
        return Dual(e, e * self.tangent)

    def log(self) -> Dual:
        """ln x; f'(x) = 1/x. Needs x > 0."""
        x = self.primal
        if x <= 0.0:
            raise ValueError(f"log needs a positive number, got {self!r}")
        return Dual(math.log(x), self.tangent / x)


def jvp(
    f: Callable[..., DualOperand],
    primals: Sequence[float],
    tangents: Sequence[float],
) -> tuple[float, float]:
    """Run ``f`` once on dual numbers; return (f(primals), the derivative along ``tangents``).

    The derivative is J·v = Σᵢ ∂f/∂xᵢ vᵢ, computed in the same single pass as the value
    (``torch.func.jvp`` for scalar functions). ``f`` takes one argument per primal and may use
    ``+ - * / **`` and the methods ``relu sigmoid tanh exp log``.

    >>> jvp(lambda x, y: x * y, (2.0, 5.0), (1.0, 1.0))  # y + x
    (10.0, 7.0)
    """
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    duals = [
        Dual(_as_float(p, f"jvp primals[{i}]"), _as_float(t, f"jvp tangents[{i}]"))
        for i, (p, t) in enumerate(zip(primals, tangents))
    ]
    out = f(*duals)
    if isinstance(out, Dual):
        return out.primal, out.tangent
    if isinstance(out, Value):
        raise TypeError("jvp: f returned a Value; it must compute with its arguments (Duals)")
    return _as_float(out, "jvp: f's result"), 0.0  # a constant function does not move


def push_tangents(root: Value, seeds: Mapping[Value, float]) -> dict[Value, float]:
    """Forward mode over a recorded graph: the tangent of every node ``root`` depends on.

    Leaves start with their tangent in ``seeds`` (0 if absent); each node, inputs first,
    gets ṅ = Σ local × (its input's tangent), using the local derivatives the forward pass
    recorded, the very numbers ``backward`` multiplies the other way round.

    >>> x, y = Value(2.0, label="x"), Value(5.0, label="y")
    >>> out = x * y + x
    >>> push_tangents(out, {x: 1.0})[out]  # d(out)/dx = y + 1
    6.0
    """
    tangent: dict[Value, float] = {}
    for node in topological_order(root):  # inputs before outputs
        if node.is_leaf:
            tangent[node] = _as_float(seeds.get(node, 0.0), f"the tangent of {node!r}")
            continue
        t = 0.0
        for child, local in zip(node.inputs, node.local_grads):
            t += local * tangent[child]
        tangent[node] = t
    return tangent


def forward_gradient(root: Value, inputs: Sequence[Value]) -> list[float]:
    """d(root)/d(input) for each input by forward mode: one pass over the graph per input.

    >>> x, y = Value(2.0), Value(5.0)
    >>> forward_gradient(x * y + x, [x, y])
    [6.0, 2.0]
    """
    return [push_tangents(root, {x: 1.0})[root] for x in inputs]

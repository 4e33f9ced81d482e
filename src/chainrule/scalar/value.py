"""The scalar autograd engine: one ``Value`` per number, one node per operation.

Every operation below does two things side by side, exactly as in the course notes:

1. **forward**: compute the output number;
2. **local derivative**: record d(output)/d(input) for each input, right now, while
   the numbers are at hand.

The backward pass then needs no per-node code at all. Walking the graph from the
root back to the leaves, each node hands each input

    downstream gradient = upstream gradient x local derivative

and inputs reached by several paths add up what they receive (the multivariate
chain rule). That single loop is ``Value.backward``.

Differences from micrograd, all deliberate:

- local derivatives are stored as numbers (``_local_grads``) instead of a closure per node,
  which is faster and is what the backprop trace prints;
- the topological order is found without recursion, so million-node chains work;
- gradients accumulate on leaves across calls, as in micrograd and PyTorch, but each
  ``backward()`` first resets the *intermediate* nodes, so a second call adds exactly
  the same amount again (micrograd 0.1.0 re-adds stale intermediate gradients and can
  give 3x instead of 2x; see ``docs/scalar.md``);
- bad input raises an error that names the offending value.

The other modes live next door, each in a file named for it: ``higher_order.py`` makes the
gradient a ``Value`` itself (``backward(create_graph=True)``, ``grad``), so it can be
differentiated again; ``forward_mode.py`` pushes tangents from the inputs to the output
(dual numbers, ``jvp``). ``graph.py`` holds the topological order all three walk.

>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x          # dy/dx = 2x + 3
>>> y.backward()
>>> x.grad
7.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import count
from numbers import Real
from typing import Any, Callable, Union

from chainrule.scalar import higher_order
from chainrule.scalar.graph import topological_order

Number = Union[int, float]
Operand = Union["Value", int, float]

# Every node gets a serial number when it is created. A node's inputs always exist
# before the node itself, so creation order is already a topological order: backward
# only has to find which nodes the root depends on and sort them by this number.
_serial = count()


def _as_float(data: object, what: str) -> float:
    """Convert a user-supplied number to float, or raise an error naming it."""
    # bool is an int subclass, but Value(True) is almost always a mistake.
    if isinstance(data, Real) and not isinstance(data, bool):
        return float(data)
    raise TypeError(
        f"{what} needs a real number (int or float), got {type(data).__name__} {data!r}"
    )


def _lift(x: Operand, op: str) -> Value:
    """Wrap a plain number operand of ``op`` in a leaf Value (as micrograd does)."""
    if isinstance(x, Value):
        return x
    return Value(x if type(x) is float else _as_float(x, f"the operand of {op}"))


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back to it.

    ``data`` is the number, ``grad`` is dL/d(this value), filled in by ``backward()``.

    >>> a = Value(3.0, label="a")
    >>> b = a * 2 + 1
    >>> b.data
    7.0
    >>> b.backward()
    >>> a.grad
    2.0
    """

    # __slots__ removes the per-instance __dict__: smaller nodes, faster attribute access.
    # ``_exponent`` is set only on ``x ** n`` nodes (n, a plain number): the op's symbol
    # shows n to 6 digits, and a second derivative needs it exactly (higher_order.py).
    __slots__ = ("data", "grad", "label", "_inputs", "_local_grads", "_op", "_id", "_exponent")

    # NumPy scalars (np.float64, np.int64) meet Values in user code such as
    # ``np_y * value``. Declaring no ufunc support makes NumPy hand the operation to
    # Value's reflected method instead of building an object array.
    __array_ufunc__ = None

    def __init__(
        self,
        data: Number,
        label: str = "",
        _inputs: tuple[Value, ...] = (),
        _local_grads: tuple[float, ...] = (),
        _op: str = "",
    ) -> None:
        # Fast path: every internal result is already a float.
        self.data = data if type(data) is float else _as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self._inputs = _inputs  # the inputs this node was computed from
        self._local_grads = _local_grads  # d(self)/d(input), one per input, same order
        self._op = _op  # the operation's symbol, for the trace and the drawing
        self._id = next(_serial)

    # ---- basics ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        # After backward(create_graph=True) the gradient is a Value: show its number.
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        return f"Value(data={self.data:.6g}, grad={grad:.6g}{name})"

    @property
    def op(self) -> str:
        """The operation that produced this value ('' for a leaf)."""
        return self._op

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The values this one was computed from (empty for a leaf)."""
        return self._inputs

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(input) for each input, recorded during the forward pass."""
        return self._local_grads

    @property
    def is_leaf(self) -> bool:
        """True for values made by the user rather than by an operation."""
        return not self._inputs

    # ---- binary ops -----------------------------------------------------------------------------
    # Each op: forward on the first line, local derivatives on the second.
    # A plain number operand is wrapped in a leaf Value, as in micrograd, so it shows
    # up in drawings and traces.

    def __add__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _lift(other, "+")
        return Value(
            self.data + other.data, "", (self, other), (1.0, 1.0), "+"
        )  # d(a+b)/da = 1, d(a+b)/db = 1

    def __sub__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _lift(other, "-")
        return Value(
            self.data - other.data, "", (self, other), (1.0, -1.0), "-"
        )  # d(a-b)/da = 1, d(a-b)/db = -1

    def __mul__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _lift(other, "*")
        return Value(
            self.data * other.data, "", (self, other), (other.data, self.data), "*"
        )  # d(ab)/da = b, d(ab)/db = a

    def __truediv__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _lift(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self!r} / {other!r}")
        inv = 1.0 / other.data
        out = self.data * inv
        return Value(
            out, "", (self, other), (inv, -out * inv), "/"
        )  # d(a/b)/da = 1/b, d(a/b)/db = -a/b²

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return self._pow_value(other)
        n = _as_float(other, "** exponent")
        x = self.data
        if x == 0.0 and n < 0:
            raise ZeroDivisionError(f"0 raised to the negative power {n:g}: {self!r} ** {n:g}")
        if x < 0 and not n.is_integer():
            raise ValueError(
                f"a negative number to a fractional power is not real: {self!r} ** {n:g}"
            )
        # d(x^n)/dx = n x^(n-1); x**(n-1) is skipped at n == 0 to avoid 0**-1. At x = 0 with
        # 0 < n < 1 (a square root) the slope is infinite: inf, as torch gives, not 0**-0.5's error.
        if n == 0.0:
            local = 0.0
        elif x == 0.0 and n < 1.0:
            local = math.inf
        else:
            local = n * x ** (n - 1)
        out = Value(x**n, "", (self,), (local,), f"**{n:g}")
        out._exponent = n
        return out

    def _pow_value(self, other: Value) -> Value:
        """x ** y with both a Value: d/dx = y x^(y-1), d/dy = x^y ln x (needs x > 0)."""
        x, y = self.data, other.data
        if x <= 0.0:
            raise ValueError(
                f"x ** y with a Value exponent needs x > 0 (d/dy = x^y ln x), got x = {x:g}"
            )
        out = x**y
        return Value(out, "", (self, other), (y * x ** (y - 1.0), out * math.log(x)), "**")

    def __neg__(self) -> Value:
        return Value(-self.data, "", (self,), (-1.0,), "neg")  # d(-a)/da = -1

    def __pos__(self) -> Value:
        return self

    # Reflected forms: ``2 + v``, ``1 - v``, ``2 / v``, ``2 ** v``.
    def __radd__(self, other: Number) -> Value:
        return _lift(other, "+") + self

    def __rsub__(self, other: Number) -> Value:
        return _lift(other, "-") - self

    def __rmul__(self, other: Number) -> Value:
        return _lift(other, "*") * self

    def __rtruediv__(self, other: Number) -> Value:
        return _lift(other, "/") / self

    def __rpow__(self, other: Number) -> Value:
        return _lift(other, "**") ** self

    # ---- unary ops ------------------------------------------------------------------------------
    def relu(self) -> Value:
        """max(0, x); local derivative 1 where x > 0, else 0."""
        x = self.data
        return Value(x if x > 0.0 else 0.0, "", (self,), (1.0 if x > 0.0 else 0.0,), "relu")

    def sigmoid(self) -> Value:
        """σ(x) = 1 / (1 + e^-x); local derivative σ(x)(1 - σ(x))."""
        s = _sigmoid(self.data)
        return Value(s, "", (self,), (s * (1.0 - s),), "sigmoid")

    def tanh(self) -> Value:
        """tanh(x); local derivative 1 - tanh²(x)."""
        t = math.tanh(self.data)
        return Value(t, "", (self,), (1.0 - t * t,), "tanh")

    def exp(self) -> Value:
        """e^x; local derivative e^x (the output itself)."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflows a float for {self!r} (max about 709.78)") from None
        return Value(e, "", (self,), (e,), "exp")

    def log(self) -> Value:
        """Natural log; local derivative 1/x. Needs x > 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log needs a positive number, got {self!r}")
        return Value(math.log(x), "", (self,), (1.0 / x,), "log")

    # ---- backward -------------------------------------------------------------------------------
    def backward(
        self, on_step: StepCallback | None = None, trace: bool = False, create_graph: bool = False
    ) -> Any:
        """Backpropagate from this value: fill ``.grad`` of everything it depends on.

        Seeds dL/dL = 1, then visits nodes from the root back to the leaves, sending
        ``upstream x local`` to each input. Leaf gradients accumulate across calls
        (call ``zero_grad`` between steps); intermediate gradients are recomputed.
        ``on_step(node, upstream)``, if given, is called as each node is visited: the
        seam ``chainrule.explain`` records its step-by-step trace through.
        ``trace=True`` is the older spelling of ``backward()`` then ``chainrule.explain(self)``.
        ``create_graph=True`` makes every ``.grad`` a ``Value`` built from the graph, which
        can be differentiated again (see ``higher_order.py``; the loop below is untouched).
        """
        if create_graph:
            if on_step is not None or trace:
                raise ValueError(
                    "backward: create_graph=True cannot be combined with on_step/trace"
                )
            higher_order.backward_creating_graph(self)
            return None
        if trace:  # backward as usual, then the table of the pass it just did
            self.backward(on_step)
            return _explain(self)
        order = topological_order(self)
        # Intermediate nodes hold gradients of *this* pass only; leaves keep theirs.
        for node in order:
            if node._inputs:
                node.grad = 0.0
        self.grad = 1.0 if self._inputs else self.grad + 1.0

        for node in reversed(order):  # root first: every node's grad is final here
            upstream = node.grad
            if on_step is not None and node._inputs:
                on_step(node, upstream)
            for child, local in zip(node._inputs, node._local_grads):
                child.grad += local * upstream  # downstream = upstream x local
        return None


#: Called as each node is visited: ``on_step(node, upstream)``.
StepCallback = Callable[[Value, float], None]


def _explain(root: Value) -> Any:
    # The step table lives in chainrule.viz, which imports this module (never the reverse);
    # it registers its builder here as ``explainer`` when it is imported.
    if explainer is None:
        raise RuntimeError("backward(trace=True) needs chainrule.viz; call chainrule.explain(root)")
    return explainer(root)


#: Set by ``chainrule.viz.scalar_view``: builds the ``Trace`` of a backward pass from ``root``.
explainer: Callable[[Value], Any] | None = None


def _sigmoid(x: float) -> float:
    """σ(x), in two branches so that exp never overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0: e^x / (1 + e^x) is the same number, computed safely
    return e / (1.0 + e)


def linear(w: Sequence[Value], x: Sequence[Operand], b: Value) -> Value:
    """A neuron's weighted sum Σᵢ wᵢ xᵢ + b, as one node instead of 2n.

    Local derivatives: d/dwᵢ = xᵢ, d/dxᵢ = wᵢ, d/db = 1 (the scalar form of the
    matmul rule dL/dW = δ xᵀ, dL/dx = Wᵀ δ). The sum runs in the same order as
    ``sum((wi * xi for ...), b)``, so the result is bit-for-bit the same; a graph of
    one node per neuron is simply ~2n times smaller to build and to walk back.

    >>> w = [Value(2.0), Value(-1.0)]
    >>> out = linear(w, [3.0, 4.0], Value(0.5))
    >>> out.data, out.local_grads
    (2.5, (3.0, 4.0, 2.0, -1.0, 1.0))
    """
    if len(w) != len(x):
        raise ValueError(f"linear: {len(w)} weights but {len(x)} inputs")
    xs = [xi if isinstance(xi, Value) else _lift(xi, "linear") for xi in x]
    w_data = [wi.data for wi in w]
    x_data = [xi.data for xi in xs]
    acc = b.data
    for wi, xi in zip(w_data, x_data):
        acc += wi * xi
    return Value(acc, "", (*w, *xs, b), (*x_data, *w_data, 1.0), "Σw·x+b")


def bce_with_logits(z: Value, y: Operand) -> Value:
    """Binary cross-entropy of the logit ``z`` against the label ``y`` in [0, 1].

    L = -[y log σ(z) + (1 - y) log(1 - σ(z))] = max(z, 0) - z y + log(1 + e^-|z|)

    The right-hand form never takes the log of 0 or exponentiates a large number, so
    it is exact for |z| = 1000 where the textbook form gives inf or nan. It is one
    node with local derivatives dL/dz = σ(z) - y and dL/dy = -z.

    >>> z = Value(1000.0)
    >>> loss = bce_with_logits(z, 0)
    >>> loss.data, (loss.backward(), z.grad)[1]
    (1000.0, 1.0)
    """
    if not isinstance(z, Value):
        z = Value(_as_float(z, "bce_with_logits logit"))
    target = y if isinstance(y, Value) else Value(_as_float(y, "bce_with_logits target"))
    t = target.data
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"bce_with_logits needs a target in [0, 1], got {t:g}")
    x = z.data
    loss = max(x, 0.0) - x * t + math.log1p(math.exp(-abs(x)))
    return Value(loss, "", (z, target), (_sigmoid(x) - t, -x), "bce")

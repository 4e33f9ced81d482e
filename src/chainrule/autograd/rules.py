"""The table of tensor primitives: for each op, a NumPy forward and its vector-Jacobian product.

Read this file top to bottom to see every derivative the tensor engine knows. Each primitive is
one small class under ``@primitive(name, broadcasts=..., formula=...)``: its metadata first, then
two plain functions on NumPy arrays:

``forward(*arrays, **params) -> (out, saved)``
    computes the result and returns whatever the backward pass will need (``saved``);
``vjp(g, saved, needs) -> tuple``
    given ``g = dL/d(out)`` returns ``dL/d(input_i)`` for each input, in order. ``needs[i]`` is
    False when input ``i`` does not want a gradient; the rule may then return ``None`` for it
    (and should, when computing it costs anything).

Conventions every rule follows:

- no rule undoes broadcasting itself. Rules registered with ``broadcasts=True`` may return a
  gradient in the broadcast (output) shape; the engine calls the one :func:`unbroadcast` below;
- a VJP returns new arrays, ``g`` itself, or views of ``g``, never an array stored elsewhere, and
  never writes into ``g`` or ``saved`` (the engine relies on this to accumulate in place safely);
- float32 stays float32: Python scalars stay Python scalars (NumPy 2 treats them as "weak"),
  and integer or bool masks are multiplied into float arrays, never the other way around.

Everything that is *not* here (mean, var, softmax, mse_loss, dropout, stack, ...) is composed from
these primitives in ``chainrule/_tensor.py`` / ``nn/functional.py``. The few fused rules at the end exist for
numerical stability or measured speed, and say which.

>>> out, saved = RULES["mul"].forward(np.array([2.0]), np.array([3.0]))
>>> RULES["mul"].vjp(np.array([1.0]), saved, (True, True))
(array([3.]), array([2.]))
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from chainrule.autograd.registry import RULES, Rule, get_rule, op, primitive, register
from chainrule.autograd.rule_helpers import (
    as_tensor,
    data_of,
    elementwise_jvp,
    erf,
    keepdim_shape,
    linear_jvp,
    multilinear_jvp,
    parse_einsum,
    promote,
)
from chainrule.autograd.shapes import (
    DTypeError,
    ShapeError,
    normalize_dim,
    normalize_dims,
    unbroadcast,
)

__all__ = ["Rule", "RULES", "register", "get_rule", "unbroadcast"]


# ------------------------------------------------------------------------------------------------
# Elementwise arithmetic (broadcasting). g has the broadcast shape; the engine unbroadcasts.
# --------------------------------------------------------------------------------------------------
@primitive("add", broadcasts=True, formula=("g", "g"))
class Add:
    def forward(a, b):
        return promote(a + b, a, b), None

    def vjp(g, saved, needs):
        return g, g  # d(a+b)/da = d(a+b)/db = 1

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        return g, g


@primitive("sub", broadcasts=True, formula=("g", "−g"))
class Sub:
    def forward(a, b):
        return promote(a - b, a, b), None

    def vjp(g, saved, needs):
        return g, (-g if needs[1] else None)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        return g, (-g if needs[1] else None)


@primitive("mul", broadcasts=True, formula=("g·b", "g·a"))
class Mul:
    def forward(a, b):
        return promote(a * b, a, b), (a, b)

    def vjp(g, saved, needs):
        a, b = saved
        return (g * b if needs[0] else None), (g * a if needs[1] else None)  # d(ab)/da = b

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        a, b = inputs
        return (g * b if needs[0] else None), (g * a if needs[1] else None)


@primitive("div", broadcasts=True, formula=("g / b", "−g·a / b²"))
class Div:
    def forward(a, b):
        out = promote(a / b, a, b)  # int / int is float32, as in PyTorch
        return out, (b, out)

    def vjp(g, saved, needs):
        b, out = saved
        da = g / b if needs[0] else None  # d(a/b)/da = 1/b
        db = -g * out / b if needs[1] else None  # d(a/b)/db = -a/b² = -out/b
        return da, db

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        a, b = inputs
        da = g / b if needs[0] else None
        db = -g * a / (b * b) if needs[1] else None
        return da, db


@primitive("neg", formula=("−g",))
class Neg:
    def forward(a):
        return -a, None

    def vjp(g, saved, needs):
        return (-g,)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        return (-g,)


@primitive("pow", broadcasts=True, formula=("g·b·a^(b−1)", "g·a^b·ln a"))
class Pow:
    def forward(a, b):
        out = promote(a**b, a, b)
        return out, (a, b, out)

    def vjp(g, saved, needs):
        a, b, out = saved
        # d(a^b)/da = b·a^(b-1)
        da = g * (b * a ** (b - 1)) if needs[0] else None
        db = None
        if needs[1]:
            # d(a^b)/db = a^b·ln a; PyTorch defines it as 0 where a == 0 and b >= 0.
            if isinstance(a, np.ndarray):
                with np.errstate(divide="ignore", invalid="ignore"):
                    db = g * out * np.log(a)
                db = np.where((a == 0) & (b >= 0), 0, db)
            else:  # a Python number: keep it a Python number so float32 stays float32
                db = g * out * (math.log(a) if a > 0 else (0.0 if a == 0 else math.nan))
        return da, db

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        a, b = inputs
        da = g * b * a ** (b - 1) if needs[0] else None
        db = None
        if needs[1]:
            if hasattr(a, "_node"):  # a tensor: 0 where a == 0 and b >= 0, as in the NumPy VJP
                zero = (data_of(a) == 0) & (data_of(b) >= 0)
                safe = op("where", zero, 1, a)
                db = op("where", zero, 0, g * a**b * op("log", safe))
            else:
                db = g * a**b * (math.log(a) if a > 0 else (0.0 if a == 0 else math.nan))
        return da, db


@primitive("maximum", broadcasts=True, formula=("g·[a > b], ½g at ties", "g·[b > a], ½g at ties"))
class Maximum:
    def forward(a, b):
        return promote(np.maximum(a, b), a, b), (a, b)

    def vjp(g, saved, needs):
        a, b = saved
        # The larger input gets the gradient; ties split it evenly (as torch.maximum does).
        half = g * 0.5
        da = g * (a > b) + half * (a == b) if needs[0] else None
        db = g * (b > a) + half * (a == b) if needs[1] else None
        return da, db

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        a, b = (data_of(x) for x in inputs)
        # The masks are flat almost everywhere: constants for the next derivative.
        da = g * ((a > b) + 0.5 * (a == b)) if needs[0] else None
        db = g * ((b > a) + 0.5 * (a == b)) if needs[1] else None
        return da, db


@primitive("where", broadcasts=True, formula=("—", "g where cond", "g where not cond"))
class Where:
    def forward(cond, a, b):
        return promote(np.where(cond, a, b), a, b), cond

    def vjp(g, cond, needs):
        # The condition is not differentiable; each branch gets g where it was chosen.
        da = np.where(cond, g, 0) if needs[1] else None
        db = np.where(cond, 0, g) if needs[2] else None
        return None, da, db

    jvp = linear_jvp(forward, fixed=(0,))  # linear in both branches, for a fixed condition

    def graph_vjp(g, inputs, cond, needs):
        da = op("where", cond, g, 0) if needs[1] else None
        db = op("where", cond, 0, g) if needs[2] else None
        return None, da, db


# ------------------------------------------------------------------------------------------------
# Elementwise math and activations (one input, shape-preserving)
# --------------------------------------------------------------------------------------------------
@primitive("exp", formula=("g·eˣ",))
class Exp:
    def forward(x):
        out = np.exp(x)
        return out, out

    def vjp(g, out, needs):
        return (g * out,)  # d eˣ/dx = eˣ

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        # The node does not hold its output tensor (no cycles), so eˣ is computed again.
        return (g * op("exp", inputs[0]),)


@primitive("log", formula=("g / x",))
class Log:
    def forward(x):
        return np.log(x), x

    def vjp(g, x, needs):
        return (g / x,)  # d ln x/dx = 1/x

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        return (g / inputs[0],)


@primitive("sqrt", formula=("g / (2√x)",))
class Sqrt:
    def forward(x):
        out = np.sqrt(x)
        return out, out

    def vjp(g, out, needs):
        return (g / (2 * out),)  # d √x/dx = 1/(2√x)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        return (g / (2 * op("sqrt", inputs[0])),)


@primitive("abs", formula=("g·sign(x)",))
class Abs:
    def forward(x):
        return np.abs(x), x

    def vjp(g, x, needs):
        return (g * np.sign(x),)  # sign(0) = 0, as in PyTorch

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, x, needs):
        return (g * np.sign(x),)


@primitive("clamp", formula=("g·[min ≤ x ≤ max]",))
class Clamp:
    def forward(x, min=None, max=None):
        if min is None and max is None:
            raise ShapeError("clamp: at least one of min and max must be given")
        if min is None:
            out = np.minimum(x, max)
        elif max is None:
            out = np.maximum(x, min)
        else:
            out = np.clip(x, min, max)
        return out, (x, min, max)

    def vjp(g, saved, needs):
        x, lo, hi = saved
        # The gradient passes where the input was inside [min, max] (bounds inclusive, as torch).
        if lo is None:
            mask = x <= hi
        elif hi is None:
            mask = x >= lo
        else:
            mask = (x >= lo) & (x <= hi)
        return (g * mask,)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        return Clamp.vjp(g, saved, needs)  # g times a constant mask: already differentiable


@primitive("relu", formula=("g·[x > 0]",))
class Relu:
    def forward(x):
        # A primitive rather than where(x > 0, x, 0): one pass forward, one multiply backward,
        # and ReLU runs after every hidden layer, so it is worth the extra table row.
        return np.maximum(x, 0), x

    def vjp(g, x, needs):
        return (g * (x > 0),)  # relu'(x) = 1 if x > 0 else 0 (0 at x = 0, as torch)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, x, needs):
        return (g * (x > 0),)


@primitive("leaky_relu", formula=("g·(1 if x > 0 else slope)",))
class LeakyRelu:
    def forward(x, negative_slope=0.01):
        return np.where(x > 0, x, x * negative_slope), (x, negative_slope)

    def vjp(g, saved, needs):
        x, slope = saved
        return (np.where(x > 0, g, g * slope),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        x, slope = saved
        return (g * np.where(x > 0, 1.0, slope).astype(x.dtype),)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # σ(x) = 1/(1+e⁻ˣ) for x ≥ 0 and eˣ/(1+eˣ) for x < 0: exp never sees a large positive
    # argument, so nothing overflows and tiny probabilities keep full relative precision.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


@primitive("sigmoid", formula=("g·σ(x)(1 − σ(x))",))
class Sigmoid:
    def forward(x):
        out = _sigmoid(x)
        return out, out

    def vjp(g, out, needs):
        return (g * out * (1 - out),)  # σ' = σ(1 − σ)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        s = op("sigmoid", inputs[0])
        return (g * s * (1 - s),)


@primitive("tanh", formula=("g·(1 − tanh² x)",))
class Tanh:
    def forward(x):
        out = np.tanh(x)
        return out, out

    def vjp(g, out, needs):
        return (g * (1 - out * out),)  # tanh' = 1 − tanh²

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        t = op("tanh", inputs[0])
        return (g * (1 - t * t),)


_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@primitive("gelu", formula=("g·(Φ(x) + x·φ(x))",))
class Gelu:
    def forward(x, approximate="none"):
        if approximate == "none":
            cdf = 0.5 * (1 + erf(x / _SQRT_2))  # Φ(x), the standard normal CDF
            return x * cdf, (x, approximate, cdf)
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + t), (x, approximate, t)
        raise ShapeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")

    def vjp(g, saved, needs):
        x, approximate, aux = saved
        if approximate == "none":
            # d[xΦ(x)]/dx = Φ(x) + x·φ(x), with φ the standard normal density
            pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
            return (g * (aux + x * pdf),)
        t = aux  # tanh(k(x + 0.044715x³)), k = √(2/π)
        dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        x, approximate = inputs[0], saved[1]
        if approximate == "none":
            cdf = 0.5 * (1 + op("erf", x / _SQRT_2))
            pdf = _INV_SQRT_2PI * op("exp", -0.5 * x * x)
            return (g * (cdf + x * pdf),)
        t = op("tanh", _SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner),)


@primitive("cast", formula=("g cast back to x's dtype",))
class Cast:
    def forward(x, dtype=None):
        return x.astype(dtype), x.dtype

    def vjp(g, dtype, needs):
        return (g.astype(dtype),)  # a change of dtype is the identity, so cast the gradient back

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, dtype, needs):
        return (op("cast", g, dtype=dtype),)


@primitive("clone", formula=("g",))
class Clone:
    def forward(x):
        return x.copy(), None

    def vjp(g, saved, needs):
        return (g,)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        return (g,)


# ------------------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------------------
@primitive("sum", formula=("g broadcast back to x's shape",))
class Sum:
    def forward(x, dim=None, keepdim=False):
        axes = normalize_dims("sum", dim, x.ndim)
        return x.sum(axis=axes, keepdims=keepdim), (x.shape, axes, keepdim)

    def vjp(g, saved, needs):
        shape, axes, keepdim = saved
        # Every summed element gets the same gradient: put the reduced dims back, then broadcast.
        if axes and not keepdim:
            g = np.expand_dims(g, axes)
        return (np.broadcast_to(g, shape),)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        shape, axes, keepdim = saved
        if axes and not keepdim:
            g = op("reshape", g, shape=keepdim_shape(shape, axes))
        return (op("expand", g, shape=shape),)


def _extreme_forward(op: str, reduce: Callable):
    def forward(x, dim=None, keepdim=False):
        if x.size == 0:
            raise RuntimeError(f"{op}: cannot reduce an empty tensor")
        axes = normalize_dims(op, dim, x.ndim)
        out = reduce(x, axis=axes, keepdims=keepdim)
        return out, (x, out, axes, keepdim)

    return forward


_EXTREME_FORMULA = ("g to the elements equal to the extreme, split among ties",)


def extreme_vjp(g, saved, needs):
    x, out, axes, keepdim = saved
    if axes and not keepdim:
        g = np.expand_dims(g, axes)
        out = np.expand_dims(out, axes)
    # The gradient goes to the elements equal to the extreme, split evenly among ties
    # (PyTorch's amax/amin rule; max(dim) instead uses gather, sending it to one index).
    hit = (x == out).astype(g.dtype)
    return (g * hit / hit.sum(axis=axes, keepdims=True),)


def _extreme_weights(saved) -> np.ndarray:
    # Each element's share of the gradient: 1/(number of ties) where it equals the extreme.
    x, out, axes, keepdim = saved
    if axes and not keepdim:
        out = np.expand_dims(out, axes)
    hit = (x == out).astype(x.dtype)
    return hit / hit.sum(axis=axes, keepdims=True)


def extreme_jvp(tangents, arrays, out, saved, params):
    # the tangent of the extreme is the mean of the tied elements' tangents (as torch)
    x, _, axes, keepdim = saved
    return np.sum(tangents[0] * _extreme_weights(saved), axis=axes, keepdims=keepdim)


def extreme_graph_vjp(g, inputs, saved, needs):
    x, _, axes, keepdim = saved
    if axes and not keepdim:
        g = op("reshape", g, shape=keepdim_shape(x.shape, axes))
    return (op("expand", g, shape=x.shape) * _extreme_weights(saved),)


@primitive("amax", formula=_EXTREME_FORMULA)
class Amax:
    forward = _extreme_forward("amax", np.max)
    vjp = extreme_vjp

    jvp = extreme_jvp

    def graph_vjp(g, inputs, saved, needs):
        return extreme_graph_vjp(g, inputs, saved, needs)


@primitive("amin", formula=_EXTREME_FORMULA)
class Amin:
    forward = _extreme_forward("amin", np.min)
    vjp = extreme_vjp

    jvp = extreme_jvp

    def graph_vjp(g, inputs, saved, needs):
        return extreme_graph_vjp(g, inputs, saved, needs)


# ------------------------------------------------------------------------------------------------
# Shape and indexing (no arithmetic: the VJP moves g back to where each element came from)
# --------------------------------------------------------------------------------------------------
@primitive("reshape", formula=("g reshaped to x's shape",))
class Reshape:
    def forward(x, shape=()):
        try:
            return x.reshape(shape), x.shape
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape {x.shape} ({x.size} elements) into {tuple(shape)}"
            ) from None

    def vjp(g, shape, needs):
        return (g.reshape(shape),)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, shape, needs):
        return (op("reshape", g, shape=shape),)


@primitive("permute", formula=("g permuted back",))
class Permute:
    def forward(x, dims=()):
        if len(dims) != x.ndim:
            raise ShapeError(
                f"permute: dims {tuple(dims)} do not match a tensor with {x.ndim} dims"
            )
        norm = tuple(normalize_dim("permute", d, x.ndim) for d in dims)
        if sorted(norm) != list(range(x.ndim)):
            raise ShapeError(f"permute: dims {tuple(dims)} are not a permutation of {x.ndim} dims")
        inverse = tuple(np.argsort(norm).tolist())
        return np.transpose(x, norm), inverse

    def vjp(g, inverse, needs):
        return (np.transpose(g, inverse),)  # undo the permutation

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, inverse, needs):
        return (op("permute", g, dims=inverse),)


@primitive("expand", broadcasts=True, formula=("g summed over the copies",))
class Expand:
    def forward(x, shape=()):
        lead = len(shape) - x.ndim
        if lead < 0:
            raise ShapeError(f"expand: cannot expand {x.shape} to fewer dims {tuple(shape)}")
        target = tuple(
            x.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(shape)
        )
        try:
            return np.broadcast_to(x, target), None
        except ValueError:
            raise ShapeError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}") from None

    def vjp(g, saved, needs):
        return (g,)  # the engine's unbroadcast *is* expand's VJP: sum over the copies

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        return (g,)  # the engine sums over the copies, with Tensor sums when create_graph is on


def _has_integer_array(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in items)


@primitive("getitem", formula=("g scattered back into zeros (added where indices repeat)",))
class Getitem:
    def forward(x, index=None):
        try:
            out = x[index]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor shape {x.shape})") from None
        # Integer-array indices may repeat an element; their VJP must add, not overwrite.
        return out, (x.shape, index, _has_integer_array(index))

    def vjp(g, saved, needs):
        shape, index, repeats = saved
        dx = np.zeros(shape, dtype=g.dtype)
        if repeats:
            np.add.at(dx, index, g)  # x[[0, 0]] sends two gradients to x[0]
        else:
            dx[index] = g  # slices, ints, None, ..., boolean masks: each element picked once
        return (dx,)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        shape, index, repeats = saved
        return (op("getitem_backward", g, shape=shape, index=index, repeats=repeats),)


@primitive("getitem_backward", formula=("g indexed again (getitem of g)",))
class GetitemBackward:
    # Why a primitive: getitem's VJP (g put back into zeros) must itself be differentiable when
    # create_graph=True. It is linear in g, and its own VJP is getitem again.
    def forward(g, shape=(), index=None, repeats=False):
        return Getitem.vjp(g, (shape, index, repeats), (True,))[0], index

    def vjp(u, index, needs):
        return (u[index],)

    jvp = linear_jvp(forward)

    def graph_vjp(u, inputs, index, needs):
        return (op("getitem", u, index=index),)


@primitive("gather", formula=("g added back where it was gathered", "—"))
class Gather:
    def forward(x, index, dim=0):
        axis = normalize_dim("gather", dim, x.ndim)
        if not isinstance(index, np.ndarray) or index.dtype.kind not in "iu":
            raise DTypeError("gather: index must be an integer tensor")
        if index.ndim != x.ndim:
            raise ShapeError(f"gather: index has {index.ndim} dims but the input has {x.ndim}")
        try:
            out = np.take_along_axis(x, index, axis=axis)
        except (IndexError, ValueError) as e:
            raise IndexError(f"gather: {e} (input {x.shape}, index {index.shape})") from None
        return out, (x.shape, index, axis)

    def vjp(g, saved, needs):
        shape, index, axis = saved
        # out[i][j][k] = x[i][index[i][j][k]][k] (dim=1): add g back at those positions.
        where = list(np.indices(g.shape, sparse=True))
        where[axis] = np.broadcast_to(index, g.shape)
        dx = np.zeros(shape, dtype=g.dtype)
        np.add.at(dx, tuple(where), g)
        return (dx, None)

    jvp = linear_jvp(forward, fixed=(1,))

    def graph_vjp(g, inputs, saved, needs):
        shape, index, axis = saved
        where = list(np.indices(g.shape, sparse=True))
        where[axis] = np.broadcast_to(index, g.shape)
        return (op("getitem_backward", g, shape=shape, index=tuple(where), repeats=True), None)


@primitive("cat", formula=("g cut back into pieces",))
class Cat:
    def forward(*arrays, dim=0):
        if not arrays:
            raise ShapeError("cat: expected a non-empty sequence of tensors")
        axis = normalize_dim("cat", dim, arrays[0].ndim)
        try:
            out = np.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ShapeError(
                f"cat: shapes {shapes} cannot be concatenated along dim {dim}"
            ) from None
        return out, (axis, [a.shape[axis] for a in arrays])

    def vjp(g, saved, needs):
        axis, sizes = saved
        return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=axis))  # cut g back into pieces

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        axis, sizes = saved
        ends = np.cumsum(sizes).tolist()
        lead = (slice(None),) * axis
        return tuple(
            op("getitem", g, index=lead + (slice(end - n, end),)) if need else None
            for n, end, need in zip(sizes, ends, needs)
        )


# ------------------------------------------------------------------------------------------------
# More elementwise math: trigonometry, logs, and the step functions (whose gradient is zero)
# --------------------------------------------------------------------------------------------------
@primitive("sin", formula=("g·cos x",))
class Sin:
    def forward(x):
        return np.sin(x), x

    def vjp(g, x, needs):
        return (g * np.cos(x),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        return (g * op("cos", inputs[0]),)


@primitive("cos", formula=("−g·sin x",))
class Cos:
    def forward(x):
        return np.cos(x), x

    def vjp(g, x, needs):
        return (-g * np.sin(x),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        return (-g * op("sin", inputs[0]),)


@primitive("tan", formula=("g·(1 + tan² x)",))
class Tan:
    def forward(x):
        out = np.tan(x)
        return out, out

    def vjp(g, out, needs):
        return (g * (1 + out * out),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        t = op("tan", inputs[0])
        return (g * (1 + t * t),)


@primitive("log1p", formula=("g / (1 + x)",))
class Log1p:
    def forward(x):
        return np.log1p(x), x

    def vjp(g, x, needs):
        return (g / (1 + x),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        return (g / (1 + inputs[0]),)


@primitive("expm1", formula=("g·eˣ",))
class Expm1:
    def forward(x):
        out = np.expm1(x)
        return out, out

    def vjp(g, out, needs):
        return (g * (out + 1),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        return (g * op("exp", inputs[0]),)


@primitive("erf", formula=("g·2/√π·e^(−x²)",))
class Erf:
    def forward(x):
        return erf(x).astype(x.dtype, copy=False), x

    def vjp(g, x, needs):
        return (g * (2 / math.sqrt(math.pi)) * np.exp(-x * x),)

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        x = inputs[0]
        return (g * (2 / math.sqrt(math.pi)) * op("exp", -x * x),)


def _step_rule(name: str, fn: Callable) -> None:
    """floor, ceil, round, trunc, sign: flat almost everywhere, so PyTorch's gradient is 0."""

    @primitive(name, formula=("0",))
    class Step:
        def forward(x, decimals=0):
            out = fn(x) if decimals == 0 else np.round(x, decimals)
            return out, x.shape

        def vjp(g, shape, needs):
            return (np.zeros(shape, dtype=g.dtype),)

        jvp = elementwise_jvp(vjp)

        def graph_vjp(g, inputs, shape, needs):
            return (g._wrap(np.zeros(shape, dtype=g._data.dtype)),)  # a constant 0


for _name, _fn in [
    ("floor", np.floor),
    ("ceil", np.ceil),
    ("round", np.round),  # NumPy and PyTorch both round halves to even
    ("trunc", np.trunc),
    ("sign", np.sign),
]:
    _step_rule(_name, _fn)


# ------------------------------------------------------------------------------------------------
# More reductions: prod, cumsum, logsumexp, the 2-norm
# --------------------------------------------------------------------------------------------------
@primitive("prod", formula=("g·Π(others): the product of every other element",))
class Prod:
    def forward(x, dim=None, keepdim=False):
        axis = None if dim is None else normalize_dim("prod", dim, x.ndim)
        out = np.prod(x, axis=axis, keepdims=keepdim)
        return out, (x, axis, keepdim)

    def vjp(g, saved, needs):
        x, axis, keepdim = saved
        flat = axis is None
        xs = x.reshape(-1) if flat else x
        ax = 0 if flat else axis
        if not flat and not keepdim:
            g = np.expand_dims(g, ax)
        # Π of the others = (product of everything before) × (product of everything after):
        # exclusive cumulative products from both ends, exact even where x has zeros.
        ones = np.ones_like(np.take(xs, [0], axis=ax))
        before = np.cumprod(np.concatenate([ones, xs], axis=ax), axis=ax)
        before = np.take(before, range(xs.shape[ax]), axis=ax)
        rev = np.flip(xs, axis=ax)
        after = np.cumprod(np.concatenate([ones, rev], axis=ax), axis=ax)
        after = np.flip(np.take(after, range(xs.shape[ax]), axis=ax), axis=ax)
        dx = g * before * after
        return (dx.reshape(x.shape),)

    def jvp(tangents, arrays, out, saved, params):
        x, axis, keepdim = saved
        (others,) = Prod.vjp(np.ones_like(out), saved, (True,))  # ∂out/∂x_i = Π of the others
        return np.sum(tangents[0] * others, axis=axis, keepdims=keepdim)

    def graph_vjp(g, inputs, saved, needs):
        x_arr, axis, keepdim = saved
        x = inputs[0]
        if axis is None:
            x, ax = op("reshape", x, shape=(-1,)), 0
        else:
            ax = axis
            if not keepdim:
                g = op("reshape", g, shape=keepdim_shape(x_arr.shape, (axis,)))
        # Π of the others, differentiably and exact at zeros: copy x along a new last axis,
        # put 1 on the diagonal (x_i replaced by 1 in row i) and take the product of each row.
        n = x.shape[ax]
        moved = op("permute", x, dims=[d for d in range(x.ndim) if d != ax] + [ax])  # (..., n)
        rows = op(
            "expand",
            op("reshape", moved, shape=moved.shape[:-1] + (1, n)),
            shape=moved.shape[:-1] + (n, n),
        )
        others = op("prod", op("where", np.eye(n, dtype=bool), 1, rows), dim=-1)  # (..., n)
        back = np.argsort([d for d in range(x.ndim) if d != ax] + [ax]).tolist()
        others = op("permute", others, dims=back)
        return (op("reshape", g * others, shape=x_arr.shape),)


@primitive("cumsum", formula=("g summed from the end (a reversed cumsum)",))
class Cumsum:
    def forward(x, dim=0):
        axis = normalize_dim("cumsum", dim, x.ndim) if x.ndim else None
        out = np.cumsum(x, axis=axis) if x.ndim else x.copy()
        return out, axis

    def vjp(g, axis, needs):
        if axis is None:
            return (g,)
        # x_i feeds every out_j with j >= i, so dL/dx_i = Σ_{j≥i} g_j
        return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, axis, needs):
        if axis is None:
            return (g,)
        flipped = op("cumsum", op("flip", g, dims=(axis,)), dim=axis)
        return (op("flip", flipped, dims=(axis,)),)


@primitive("logsumexp", formula=("g·softmax(x)",))
class Logsumexp:
    def forward(x, dim=(), keepdim=False):
        axes = normalize_dims("logsumexp", dim, x.ndim)
        m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        m = np.where(np.isfinite(m), m, 0)  # all -inf: log Σ exp = -inf, not nan
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        result = out if keepdim else np.squeeze(out, axis=axes)
        return result.astype(x.dtype, copy=False), (x, out, axes)

    def vjp(g, saved, needs):
        x, out, axes = saved
        if g.ndim != x.ndim:
            g = np.expand_dims(g, axes if axes is not None else tuple(range(x.ndim)))
        return (g * np.exp(x - out),)  # d/dx log Σ eˣ = softmax(x)

    def jvp(tangents, arrays, out, saved, params):
        x, lse, axes = saved
        # d/dε log Σ e^(x+εu) = Σ softmax(x)·u
        tangent = np.sum(np.exp(x - lse) * tangents[0], axis=axes, keepdims=True)
        return tangent.reshape(out.shape)

    def graph_vjp(g, inputs, saved, needs):
        x_arr, _, axes = saved
        x = inputs[0]
        dims = tuple(range(x_arr.ndim)) if axes is None else axes
        if g.ndim != x_arr.ndim:
            g = op("reshape", g, shape=keepdim_shape(x_arr.shape, dims))
        lse = op("logsumexp", x, dim=dims, keepdim=True)
        return (g * op("exp", x - lse),)


@primitive("norm", formula=("g·x / ‖x‖ (0 where ‖x‖ = 0)",))
class Norm:
    def forward(x, dim=None, keepdim=False):
        axes = normalize_dims("norm", dim, x.ndim)
        out = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        return (out if keepdim else np.squeeze(out, axis=axes)), (x, out, axes)

    def vjp(g, saved, needs):
        x, out, axes = saved
        if g.ndim != x.ndim:
            g = np.expand_dims(g, axes if axes is not None else tuple(range(x.ndim)))
        # PyTorch's subgradient at 0 is 0, not nan
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.where(out == 0, 0, g * x / out).astype(x.dtype, copy=False),)

    def jvp(tangents, arrays, out, saved, params):
        x, norm, axes = saved
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = np.where(norm == 0, 0, x / norm)  # d‖x‖ = (x/‖x‖)·u
        tangent = np.sum(unit * tangents[0], axis=axes, keepdims=True)
        return tangent.reshape(out.shape)

    def graph_vjp(g, inputs, saved, needs):
        x_arr, norm_arr, axes = saved
        x = inputs[0]
        if g.ndim != x_arr.ndim:
            dims = tuple(range(x_arr.ndim)) if axes is None else axes
            g = op("reshape", g, shape=keepdim_shape(x_arr.shape, dims))
        zero = norm_arr == 0
        norm = op("where", zero, 1, op("norm", x, dim=axes, keepdim=True))  # no 0/0
        return (op("where", zero, 0, g * x / norm),)


# ------------------------------------------------------------------------------------------------
# More movement: flip, repeat, scatter
# --------------------------------------------------------------------------------------------------
@primitive("flip", formula=("g flipped back",))
class Flip:
    def forward(x, dims=()):
        axes = tuple(normalize_dim("flip", d, x.ndim) for d in dims)
        return np.flip(x, axes).copy(), axes

    def vjp(g, axes, needs):
        return (np.flip(g, axes),)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, axes, needs):
        return (op("flip", g, dims=axes),)


@primitive("repeat", formula=("g summed over the repeats",))
class Repeat:
    def forward(x, repeats=()):
        if len(repeats) < x.ndim:
            raise RuntimeError(
                f"repeat: number of repeat dims ({len(repeats)}) can not be smaller than the "
                f"number of tensor dims ({x.ndim})"
            )
        shape = (1,) * (len(repeats) - x.ndim) + x.shape
        return np.tile(x.reshape(shape), repeats), (x.shape, shape, tuple(repeats))

    def vjp(g, saved, needs):
        shape_in, shape, reps = saved
        # view g as (r0, n0, r1, n1, ...) and sum the repeat axes
        split = [n for pair in zip(reps, shape) for n in pair]
        summed = g.reshape(split).sum(axis=tuple(range(0, 2 * len(reps), 2)))
        return (summed.reshape(shape_in),)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        shape_in, shape, reps = saved
        split = [n for pair in zip(reps, shape) for n in pair]
        summed = op("sum", op("reshape", g, shape=split), dim=tuple(range(0, 2 * len(reps), 2)))
        return (op("reshape", summed, shape=shape_in),)


@primitive("scatter", formula=("g where not overwritten", "g gathered at the index"))
class Scatter:
    def forward(x, index, src, dim=0, reduce="none"):
        axis = normalize_dim("scatter", dim, x.ndim)
        if not isinstance(index, np.ndarray) or index.dtype.kind not in "iu":
            raise DTypeError("scatter: index must be an integer tensor")
        where = list(np.indices(index.shape, sparse=True))
        where[axis] = index
        where = tuple(where)
        src_arr = np.broadcast_to(src, index.shape) if np.ndim(src) == 0 else src
        if np.ndim(src) != 0:
            src_arr = src[tuple(slice(0, n) for n in index.shape)]
        out = x.copy()
        try:
            if reduce == "add":
                np.add.at(out, where, src_arr)
            else:
                out[where] = src_arr
        except IndexError as e:
            raise IndexError(f"scatter: {e} (input {x.shape}, index {index.shape})") from None
        return out, (where, reduce, np.shape(src), index.shape)

    def vjp(g, saved, needs):
        where, reduce, src_shape, index_shape = saved
        dx = None
        if needs[0]:
            dx = g.copy() if reduce == "none" else g
            if reduce == "none":
                dx[where] = 0  # overwritten elements did not reach the output
        dsrc = None
        if len(needs) > 2 and needs[2]:
            picked = g[where]
            dsrc = np.zeros(src_shape, dtype=g.dtype)
            dsrc[tuple(slice(0, n) for n in index_shape)] = picked
        return dx, None, dsrc

    jvp = linear_jvp(forward, fixed=(1,))  # linear in (x, src) jointly, for a fixed index

    def graph_vjp(g, inputs, saved, needs):
        where, reduce, src_shape, index_shape = saved
        dx = None
        if needs[0]:
            if reduce == "none":
                kept = np.ones(g.shape, dtype=bool)
                kept[where] = False  # overwritten elements did not reach the output
                dx = g * kept
            else:
                dx = g
        dsrc = None
        if len(needs) > 2 and needs[2]:
            picked = op("getitem", g, index=where)
            place = tuple(slice(0, n) for n in index_shape)
            dsrc = op("getitem_backward", picked, shape=src_shape, index=place, repeats=False)
        return dx, None, dsrc


@primitive("softmax", formula=("s·(g − Σ g·s)",))
class Softmax:
    def forward(x, dim=-1):
        axis = normalize_dim("softmax", dim, x.ndim) if x.ndim else None
        z = x - np.max(x, axis=axis, keepdims=True)
        e = np.exp(z)
        out = e / np.sum(e, axis=axis, keepdims=True)
        return out, (out, axis)

    def vjp(g, saved, needs):
        s, axis = saved
        return (s * (g - np.sum(g * s, axis=axis, keepdims=True)),)

    def jvp(tangents, arrays, out, saved, params):
        s, axis = saved
        u = tangents[0]
        return s * (u - np.sum(u * s, axis=axis, keepdims=True))

    def graph_vjp(g, inputs, saved, needs):
        axis = saved[1]
        s = op("softmax", inputs[0], dim=-1 if axis is None else axis)
        return (s * (g - op("sum", g * s, dim=axis, keepdim=True)),)


@primitive("mean", formula=("g / n, broadcast back to x's shape",))
class Mean:
    def forward(x, dim=None, keepdim=False):
        axes = normalize_dims("mean", dim, x.ndim)
        n = x.size if axes is None else math.prod(x.shape[a] for a in axes)
        return np.mean(x, axis=axes, keepdims=keepdim), (x.shape, axes, keepdim, n)

    def vjp(g, saved, needs):
        shape, axes, keepdim, n = saved
        if axes and not keepdim:
            g = np.expand_dims(g, axes)
        return (np.broadcast_to(g / n, shape),)

    jvp = linear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        shape, axes, keepdim, n = saved
        if axes and not keepdim:
            g = op("reshape", g, shape=keepdim_shape(shape, axes))
        return (op("expand", g / n, shape=shape),)


# ------------------------------------------------------------------------------------------------
# Matrix products
# --------------------------------------------------------------------------------------------------
def _matmul_error(a: np.ndarray, b: np.ndarray) -> ValueError:
    if a.ndim == 0 or b.ndim == 0:
        return ShapeError(
            f"matmul: both operands must be at least 1-D, got {a.shape} and {b.shape}"
        )
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        return ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} do not align ({a.shape[-1]} != {k_b})"
        )
    return ShapeError(f"matmul: batch dims of {a.shape} and {b.shape} cannot be broadcast")


def _transposed(t):
    """Swap a tensor's last two dims (``Bᵀ`` in the matmul rule), as a recorded permute."""
    dims = list(range(t.ndim))
    dims[-2], dims[-1] = dims[-1], dims[-2]
    return op("permute", t, dims=dims)


@primitive("matmul", broadcasts=True, formula=("g·Bᵀ", "Aᵀ·g"))
class Matmul:
    def forward(a, b):
        try:
            return a @ b, (a, b)
        except ValueError:
            raise _matmul_error(np.asarray(a), np.asarray(b)) from None

    def vjp(g, saved, needs):
        a, b = saved
        if a.ndim == 1 and b.ndim == 1:  # dot product: out is a scalar
            return (g * b if needs[0] else None), (g * a if needs[1] else None)
        # PyTorch/NumPy treat a 1-D operand as a row (left) or column (right) and drop that dim
        # from the result; put it back in g so the 2-D rules dA = g Bᵀ, dB = Aᵀ g apply.
        a2 = a[None, :] if a.ndim == 1 else a  # (k,) -> (1, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (k,) -> (k, 1)
        if a.ndim == 1:
            g = g[..., None, :]
        if b.ndim == 1:
            g = g[..., None]
        da = db = None
        if needs[0]:
            da = g @ np.swapaxes(b2, -1, -2)  # (..., n, m) @ (..., m, k) -> (..., n, k)
            if a.ndim == 1:
                da = da[..., 0, :]
        if needs[1]:
            db = np.swapaxes(a2, -1, -2) @ g  # (..., k, n) @ (..., n, m) -> (..., k, m)
            if b.ndim == 1:
                db = db[..., 0]
        return da, db  # batch dims are summed by unbroadcast

    jvp = multilinear_jvp(forward)  # the product rule: dA·B + A·dB

    def graph_vjp(g, inputs, saved, needs):
        a, b = (as_tensor(x, g) for x in inputs)
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if needs[0] else None), (g * a if needs[1] else None)
        a2 = op("reshape", a, shape=(1,) + a.shape) if a.ndim == 1 else a
        b2 = op("reshape", b, shape=b.shape + (1,)) if b.ndim == 1 else b
        if a.ndim == 1:
            g = op("reshape", g, shape=g.shape[:-1] + (1,) + g.shape[-1:])
        if b.ndim == 1:
            g = op("reshape", g, shape=g.shape + (1,))
        da = db = None
        if needs[0]:
            da = op("matmul", g, _transposed(b2))
            if a.ndim == 1:
                da = op("reshape", da, shape=da.shape[:-2] + da.shape[-1:])
        if needs[1]:
            db = op("matmul", _transposed(a2), g)
            if b.ndim == 1:
                db = op("reshape", db, shape=db.shape[:-1])
        return da, db


@primitive("einsum", formula=("einsum of g with the other operands",))
class Einsum:
    def forward(*arrays, equation=""):
        terms, out_term = parse_einsum(equation, [a.shape for a in arrays])
        eq = ",".join(terms) + "->" + out_term
        try:
            out = np.einsum(eq, *arrays, optimize=len(arrays) > 2)
        except ValueError as e:
            raise ShapeError(f"einsum: {e}") from None
        return out, (arrays, terms, out_term)

    def vjp(g, saved, needs):
        arrays, terms, out_term = saved
        grads = []
        for k, (x, term) in enumerate(zip(arrays, terms)):
            if not needs[k]:
                grads.append(None)
                continue
            # dL/dX_k = einsum of g with every *other* operand, producing X_k's letters. Letters
            # that only X_k had (summed away in the forward) are restored by broadcasting.
            others = [(t, a) for j, (t, a) in enumerate(zip(terms, arrays)) if j != k]
            known = set(out_term).union(*[set(t) for t, _ in others])
            keep = "".join(c for c in term if c in known)
            eq = ",".join([out_term] + [t for t, _ in others]) + "->" + keep
            gk = np.einsum(eq, g, *[a for _, a in others], optimize=len(others) > 1)
            if keep != term:
                gk = np.broadcast_to(
                    gk.reshape([n if c in keep else 1 for c, n in zip(term, x.shape)]), x.shape
                )
            grads.append(gk)
        return tuple(grads)

    jvp = multilinear_jvp(forward)

    def graph_vjp(g, inputs, saved, needs):
        arrays, terms, out_term = saved
        tensors = [as_tensor(x, g) for x in inputs]
        grads = []
        for k, (x, term) in enumerate(zip(arrays, terms)):
            if not needs[k]:
                grads.append(None)
                continue
            others = [(t, a) for j, (t, a) in enumerate(zip(terms, tensors)) if j != k]
            known = set(out_term).union(*[set(t) for t, _ in others])
            keep = "".join(c for c in term if c in known)
            eq = ",".join([out_term] + [t for t, _ in others]) + "->" + keep
            gk = op("einsum", g, *[a for _, a in others], equation=eq)
            if keep != term:
                kept = [n if c in keep else 1 for c, n in zip(term, x.shape)]
                gk = op("expand", op("reshape", gk, shape=kept), shape=x.shape)
            grads.append(gk)
        return tuple(grads)


# ------------------------------------------------------------------------------------------------
# Fused rules: each one could be composed from the rules above, and exists for a reason.
# --------------------------------------------------------------------------------------------------
@primitive("linear", formula=("g·W", "gᵀ·x", "Σ_batch g"))
class Linear:
    def forward(x, weight, bias=None):
        # Why fused: one node instead of transpose + matmul + add, no (batch, out) temporary for
        # the bias add, and dW = gᵀx comes out directly instead of via an unbroadcast. Measured on
        # a 784-256-256-10 MLP training step at batch 64 (float32): 0.82 ms fused, 1.17 ms composed.
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ShapeError(
                f"linear: input {x.shape} and weight {weight.shape} do not align "
                f"(expected input[..., {weight.shape[-1] if weight.ndim else '?'}])"
            )
        out = x @ weight.T  # (B, in) @ (in, out) -> (B, out)
        if bias is not None:
            out += bias  # in place: out is a fresh array
        return out, (x, weight)

    def vjp(g, saved, needs):
        x, w = saved
        dx = g @ w if needs[0] else None  # (B, out) @ (out, in) -> (B, in)
        g2 = g.reshape(-1, g.shape[-1])  # fold any batch dims: (N, out)
        dw = g2.T @ x.reshape(-1, x.shape[-1]) if needs[1] else None  # (out, N) @ (N, in)
        db = g2.sum(axis=0) if len(needs) > 2 and needs[2] else None  # (out,)
        return dx, dw, db

    def jvp(tangents, arrays, out, saved, params):
        x, w = arrays[0], arrays[1]
        tx, tw = tangents[0], tangents[1]
        total = 0
        if tx is not None:
            total = total + tx @ w.T  # d(x Wᵀ + b) = dx Wᵀ + x dWᵀ + db
        if tw is not None:
            total = total + x @ tw.T
        if len(tangents) > 2 and tangents[2] is not None:
            total = total + tangents[2]
        return total

    def graph_vjp(g, inputs, saved, needs):
        x, w = as_tensor(inputs[0], g), as_tensor(inputs[1], g)
        dx = op("matmul", g, w) if needs[0] else None
        g2 = op("reshape", g, shape=(-1, g.shape[-1]))
        dw = None
        if needs[1]:
            dw = op("matmul", _transposed(g2), op("reshape", x, shape=(-1, x.shape[-1])))
        db = op("sum", g2, dim=0) if len(needs) > 2 and needs[2] else None
        return dx, dw, db


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # log-sum-exp trick: shift by the max so exp never overflows; the shift cancels exactly.
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@primitive("log_softmax", formula=("g − softmax(x)·Σg",))
class LogSoftmax:
    def forward(x, dim=-1):
        # Why fused: stability. log(softmax(x)) underflows to -inf for very negative logits;
        # x - max - log Σ exp(x - max) gives log_softmax([1000, 0, -1000]) = [0, -1000, -2000].
        axis = normalize_dim("log_softmax", dim, x.ndim)
        out = _log_softmax(x, axis)
        return out, (out, axis)

    def vjp(g, saved, needs):
        out, axis = saved
        # y = x - lse(x): dL/dx = g - softmax(x)·Σg
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    def jvp(tangents, arrays, out, saved, params):
        logp, axis = saved
        u = tangents[0]
        return u - np.sum(np.exp(logp) * u, axis=axis, keepdims=True)

    def graph_vjp(g, inputs, saved, needs):
        axis = saved[1]
        s = op("softmax", inputs[0], dim=axis)
        return (g - s * op("sum", g, dim=axis, keepdim=True),)


@primitive("cross_entropy", formula=("g·(softmax(z) − onehot(t))", "—"))
class CrossEntropy:
    def forward(logits, target, ignore_index=-100, mean=False):
        # Why fused: the gradient is simply softmax − onehot, computed from the saved log-probs,
        # instead of going through log_softmax and an integer-indexing node (np.add.at is slow).
        # logits (N, C) with target (N,), or logits (C,) with a 0-d target. Returns per-sample
        # losses (N,), or with ``mean=True`` their mean over non-ignored rows as a 0-d array:
        # the common ``reduction='mean'`` in one node instead of three (sum, div), which the
        # lecture's training loop runs every step.
        if target.dtype.kind not in "iu":
            raise DTypeError(f"cross_entropy: class targets must be integers, got {target.dtype}")
        if logits.ndim not in (1, 2) or target.shape != logits.shape[:-1]:
            raise ShapeError(
                f"cross_entropy: logits {logits.shape} and target {target.shape} do not match "
                f"(expected logits (N, C) with target (N,))"
            )
        n_classes = logits.shape[-1]
        # The usual case (every target a class, none of them ignore_index) skips every mask:
        # valid=None in what we save. Viewed as unsigned, a negative index wraps to a huge
        # number, so one max checks 0 <= target < C (this runs every training step).
        unsigned = target.view(f"u{target.itemsize}") if target.dtype.kind == "i" else target
        usual = target.size and unsigned.max() < n_classes and not 0 <= ignore_index < n_classes
        if usual:
            safe, valid = target, None
        else:
            valid = target != ignore_index
            if valid.all():
                safe, valid = target, None
            else:
                safe = np.where(valid, target, 0)
            if safe.size and (safe.min() < 0 or safe.max() >= n_classes):
                bad = safe[(safe < 0) | (safe >= n_classes)].flat[0]
                raise IndexError(
                    f"cross_entropy: target {bad} is out of bounds for {n_classes} classes"
                )
        logp = _log_softmax(logits, -1)  # (N, C)
        rows = np.arange(safe.size)
        picked = logp.reshape(-1, n_classes)[rows, safe.reshape(-1)].reshape(safe.shape)  # (N,)
        loss = -picked if valid is None else np.where(valid, -picked, 0)
        count = 1
        if mean:
            count = safe.size if valid is None else int(valid.sum())
            # 0 valid rows gives nan, as in torch (0/0)
            loss = np.asarray(loss.sum() / count if count else np.nan, dtype=logits.dtype)
        return loss, (logp, safe, valid, count)

    def vjp(g, saved, needs):
        logp, safe, valid, count = saved
        # dL_i/dz_i = softmax(z_i) − onehot(t_i), scaled by g_i (0 for ignored rows), and by 1/count
        # for the mean.
        p = np.exp(logp)  # softmax, (N, C)
        p.reshape(-1, p.shape[-1])[np.arange(safe.size), safe.reshape(-1)] -= 1  # − onehot
        scale = g / count if g.ndim == 0 else g  # the mean: one upstream number for every row
        if valid is not None:
            scale = scale * valid
        p *= scale[..., None] if np.ndim(scale) else scale
        return p, None

    def jvp(tangents, arrays, out, saved, params):
        logp, safe, valid, count = saved
        d = np.exp(logp)
        d.reshape(-1, d.shape[-1])[np.arange(safe.size), safe.reshape(-1)] -= 1  # p − onehot
        per_row = np.sum(d * tangents[0], axis=-1)  # (N,): Σ_c (p − onehot)·u in each row
        if valid is not None:
            per_row = per_row * valid
        return per_row.sum() / count if params.get("mean") else per_row

    def graph_vjp(g, inputs, saved, needs):
        logp, safe, valid, count = saved
        onehot = np.zeros_like(logp)
        onehot.reshape(-1, logp.shape[-1])[np.arange(safe.size), safe.reshape(-1)] = 1
        d = op("softmax", inputs[0], dim=-1) - onehot
        scale = g / count if g.ndim == 0 else g
        if valid is not None:
            scale = scale * valid
        if scale.ndim:
            scale = op("reshape", scale, shape=scale.shape + (1,))
        return d * scale, None


# pos_weight (C,) broadcasts against (N, C)
@primitive(
    "binary_cross_entropy_with_logits",
    broadcasts=True,
    formula=("g·(σ(z) − y)  (pos_weight = 1)", "−g·z", "g·y·log(1 + e^(−z))"),
)
class BinaryCrossEntropyWithLogits:
    def forward(z, y, pos_weight=None):
        # Why fused: stability. log σ(z) and log(1 − σ(z)) overflow or round to log 0 for |z| ≳ 30
        # in float32; with softplus(−z) = log(1 + e^(−z)) = log(1 + e^(−|z|)) + max(−z, 0), the loss
        # (1 − y)·z + [1 + (pos_weight − 1)·y]·softplus(−z) is exact and finite for any z.
        softplus_neg = np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0)
        if pos_weight is None:
            loss = (1 - y) * z + softplus_neg
        else:
            loss = (1 - y) * z + (1 + (pos_weight - 1) * y) * softplus_neg
        return loss, (z, y, pos_weight, softplus_neg)

    def vjp(g, saved, needs):
        z, y, pw, softplus_neg = saved
        if pw is None:
            dz = (
                g * (_sigmoid(z) - y) if needs[0] else None
            )  # σ(z) − y, the logistic-regression rule
            dy = -g * z if needs[1] else None
            return dz, dy, None
        # with l = 1 + (pw − 1)·y: dL/dz = (1 − y) − l·(1 − σ(z)), which is σ(z) − y when pw = 1
        dz = g * ((1 - y) - (1 + (pw - 1) * y) * (1 - _sigmoid(z))) if needs[0] else None
        dy = g * ((pw - 1) * softplus_neg - z) if needs[1] else None
        dpw = g * y * softplus_neg if needs[2] else None
        return dz, dy, dpw

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        z, y, pw = inputs
        softplus_neg = op("log1p", op("exp", -op("abs", z))) + op("relu", -z)
        sig = op("sigmoid", z)
        if pw is None:
            dz = g * (sig - y) if needs[0] else None
            dy = -g * z if needs[1] else None
            return dz, dy, None
        dz = g * ((1 - y) - (1 + (pw - 1) * y) * (1 - sig)) if needs[0] else None
        dy = g * ((pw - 1) * softplus_neg - z) if needs[1] else None
        dpw = g * y * softplus_neg if needs[2] else None
        return dz, dy, dpw


@primitive("binary_cross_entropy", formula=("g·(p − y) / (p(1 − p))", "g·(log(1 − p) − log p)"))
class BinaryCrossEntropy:
    def forward(p, y):
        # Why fused: PyTorch clamps each log at -100, so p = 0 or 1 gives a finite loss. Composed
        # from log and clamp, the gradient at p = 0 would be 0 · (1/0) = nan; this rule uses
        # torch's (p − y) / max(p(1 − p), 1e-12) instead.
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
        loss = -(y * log_p + (1 - y) * log_1mp)
        return loss, (p, y, log_p, log_1mp)

    def vjp(g, saved, needs):
        p, y, log_p, log_1mp = saved
        dp = g * (p - y) / np.maximum(p * (1 - p), 1e-12) if needs[0] else None
        dy = g * (log_1mp - log_p) if needs[1] else None
        return dp, dy

    jvp = elementwise_jvp(vjp)

    def graph_vjp(g, inputs, saved, needs):
        p, y = inputs
        dp = g * (p - y) / op("clamp", p * (1 - p), min=1e-12) if needs[0] else None
        dy = None
        if needs[1]:
            log_p = op("clamp", op("log", p), min=-100)
            log_1mp = op("clamp", op("log1p", -p), min=-100)
            dy = g * (log_1mp - log_p)
        return dp, dy


# Rules whose VJP is not written with differentiable operations: create_graph=True through one
# of them fails by name ("<op>: second derivative not implemented"). Every rule above has one;
# a ``chainrule.autograd.Function`` is the one kind of op without (its backward is user code).
WITHOUT_SECOND_DERIVATIVE: tuple[str, ...] = ()

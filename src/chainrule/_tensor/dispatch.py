"""Dispatch: the single path from a Tensor method to a rule in ``autograd/rules.py``.

:func:`apply` runs a rule's forward on the inputs' arrays and, when a gradient will be needed,
records a :class:`~chainrule.autograd.graph.Node`; :func:`wrap` is the fast constructor every op
result goes through. The rest turns what a user passes (numbers, lists, arrays, index
expressions, shapes) into what a rule takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Union

import numpy as np

from chainrule._tensor.base import TensorBase
from chainrule._tensor.dtypes import to_array
from chainrule.autograd.forward_ad import attach_tangent
from chainrule.autograd.grad_mode import check_forward
from chainrule.autograd.grad_mode import state as _mode
from chainrule.autograd.graph import Node
from chainrule.autograd.registry import RULES, get_rule, set_dispatcher
from chainrule.autograd.shapes import broadcast_error

if TYPE_CHECKING:
    from chainrule._tensor.tensor import Tensor

Scalar = Union[int, float, bool]
# Anything a binary op accepts as its other operand.
Operand = Union["Tensor", Scalar, np.ndarray]

# The class op results are made of. ``tensor.py`` builds Tensor from the method files, which
# import this module, so Tensor is handed in once it exists (see register_tensor_class).
_result_class: type = TensorBase
_new = object.__new__


def register_tensor_class(cls: type) -> None:
    global _result_class
    _result_class = cls


def wrap(data: Any, node: Node | None = None) -> "Tensor":
    """Wrap an array produced by an op (no checks, no copy): the fast internal constructor."""
    if type(data) is not np.ndarray:  # NumPy reductions hand back scalars; keep arrays
        data = np.asarray(data)
    t = _new(_result_class)
    t._data = data
    t._node = node
    t._requires_grad = node is not None
    t._grad = None
    t._hooks = None
    t._retains_grad = False
    return t


def apply(name: str, *inputs: Any, **params: Any) -> "Tensor":
    """Run primitive ``name`` on ``inputs`` and record a graph node if a gradient is needed.

    Inputs are Tensors or plain operands (Python numbers, arrays) that never need a gradient.
    """
    rule = RULES.get(name) or get_rule(name)
    arrays = [x._data if isinstance(x, TensorBase) else x for x in inputs]
    try:
        out, saved = rule.forward(*arrays, **params)
    except ValueError as e:
        # NumPy's "operands could not be broadcast together" becomes "add: shapes ... ".
        if rule.broadcasts and not str(e).startswith(name + ":"):
            try:
                np.broadcast_shapes(*(np.shape(a) for a in arrays if a is not None))
            except ValueError:
                raise broadcast_error(name, *arrays) from None
        raise
    if _mode.anomaly_enabled:
        check_forward(name, out, arrays)
    if _mode.dual_level is not None:  # forward mode: give the result its tangent too
        result = _recorded(rule, out, saved, inputs)
        attach_tangent(result, rule, inputs, arrays, out, saved, params)
        return result
    if _mode.grad_enabled:
        # Record only if some input wants a gradient; ops on constants build no graph.
        needs = tuple([isinstance(x, TensorBase) and x._requires_grad for x in inputs])
        if True in needs:
            return wrap(out, Node(rule, saved, inputs, needs))
    return wrap(out)


def _recorded(rule: Any, out: Any, saved: Any, inputs: tuple) -> "Tensor":
    """``apply``'s last step as a function: the result, with a node if a gradient is needed.
    (``apply`` itself repeats these lines inline: a call per op is measurable.)"""
    if _mode.grad_enabled:
        needs = tuple([isinstance(x, TensorBase) and x._requires_grad for x in inputs])
        if True in needs:
            return wrap(out, Node(rule, saved, inputs, needs))
    return wrap(out)


# The rules' differentiable VJPs (create_graph=True) run ops on tensors through ``apply``.
set_dispatcher(apply)


def operand(x: Any) -> Any:
    """Accept the other operand of a binary op the way PyTorch does, or say NotImplemented.

    NumPy scalars and 0-d arrays become Python numbers: NumPy 2 would let ``np.float64(2.0)``
    promote a float32 tensor to float64; PyTorch (and a Python ``2.0``) would not.
    """
    if isinstance(x, TensorBase):
        return x
    if isinstance(x, np.generic):  # checked before float: np.float64 *is* a float subclass
        return x.item()
    if isinstance(x, (int, float)):
        return x
    if isinstance(x, np.ndarray):
        return x.item() if x.ndim == 0 else x
    return NotImplemented


def coerce(x: Any) -> Any:
    """An operand for a named method or a torch-namespace function: lists become tensors
    (with ``torch.tensor``'s dtype rules: ``[1, 2]`` is int64, ``[1.0]`` float32)."""
    o = operand(x)
    return wrap(to_array(x)) if o is NotImplemented else o


def labelled(t: "Tensor", label: str) -> "Tensor":
    """Give ``t``'s node PyTorch's name when the rule alone does not decide it
    (``x.sum()`` is ``SumBackward0`` but ``x.sum(0)`` is ``SumBackward1``)."""
    if t._node is not None:
        t._node.label = label
    return t


def binary_dunder(op: str, reflected: bool = False) -> Callable[["Tensor", Any], "Tensor"]:
    """Build ``__add__``-style operators: ``NotImplemented`` for foreign types lets Python try
    the other operand's method; ``reflected`` puts the Tensor on the right (``2 - x``)."""

    def operator(self: "Tensor", other: Any) -> "Tensor":
        o = operand(other)
        if o is NotImplemented:
            return NotImplemented
        return apply(op, o, self) if reflected else apply(op, self, o)

    return operator


def array_of(x: Any) -> Any:
    """The array inside a tensor; anything else unchanged."""
    return x._data if isinstance(x, TensorBase) else x


def index_arg(index: Any) -> Any:
    """Turn Tensors and lists inside an index into NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(index_arg(i) for i in index)
    if isinstance(index, TensorBase):
        return index._data
    if isinstance(index, list):
        return np.asarray([array_of(i) for i in index])
    return index


def shape_arg(op: str, shape: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be ints, got {shape}")
    return tuple(int(n) for n in shape)

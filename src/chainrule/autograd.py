"""Graph machinery for the tensor engine: grad mode, graph nodes, topological order, backward.

This module is the only place that walks a graph. The math of every op (its forward and its
vector-Jacobian product) lives in ``chainrule.ops``; this file only decides *in which order*
those VJPs run and *where* their results go.

How a graph looks (the same shape PyTorch uses):

- every tensor produced by a differentiable op holds one :class:`Node` (its ``grad_fn``);
- a node holds the op's rule, the arrays the rule saved in its forward pass, and the *input
  tensors* it was computed from. It never holds its output tensor, so there are no reference
  cycles and a graph dies as soon as its last tensor does;
- leaves (tensors you create) have no node; gradients stop there and accumulate into ``.grad``.

``backward`` walks the graph once, in reverse topological order, so every tensor's gradient is
complete (summed over all paths) before it is pushed further down. Without ``retain_graph=True``
each node drops its saved arrays and inputs as soon as its VJP has run, which both frees memory
and makes a second backward through the same graph fail loudly, as in PyTorch.

>>> from chainrule import Tensor
>>> x = Tensor([2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([4., 6.])
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from chainrule.ops import Rule, unbroadcast

__all__ = [
    "Node",
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "topological_order",
    "detect_anomaly",
    "AnomalyError",
]


# --------------------------------------------------------------------------------------------
# Grad mode
# --------------------------------------------------------------------------------------------

# One process-wide flag (PyTorch keeps it per thread; a teaching library does not need that).
# Ops read it on every call, so it is a plain module global rather than a function call.
_grad_enabled: bool = True


def is_grad_enabled() -> bool:
    """Return True when new ops record a graph.

    >>> is_grad_enabled()
    True
    """
    return _grad_enabled


class _GradModeContext:
    """Base for ``no_grad`` / ``enable_grad``: a context manager that is also a decorator."""

    _mode: bool = True

    def __new__(cls, func: Callable | None = None):
        # ``@no_grad`` (no parentheses) hands us the function itself: wrap it straight away.
        self = super().__new__(cls)
        if func is not None and callable(func):
            self.__init__()
            return self(func)
        return self

    def __init__(self, func: Callable | None = None) -> None:
        # A stack, not a single slot, so one instance can be re-entered (recursive decorated
        # functions, or the same decorator on a generator of calls).
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self._mode

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous.pop()

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Turn graph recording off inside a ``with`` block or a decorated function.

    Results computed under ``no_grad`` have ``requires_grad=False`` and no ``grad_fn``; use it
    for evaluation and for optimizer updates.

    >>> from chainrule import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad, y.grad_fn
    (False, None)
    """

    _mode = False


class enable_grad(_GradModeContext):
    """Turn graph recording back on inside a ``no_grad`` region (context manager or decorator).

    >>> with no_grad():
    ...     with enable_grad():
    ...         print(is_grad_enabled())
    True
    """

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``, as a function call or as a context manager.

    >>> _ = set_grad_enabled(False); is_grad_enabled()
    False
    >>> _ = set_grad_enabled(True); is_grad_enabled()
    True
    """

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        # Like torch: the call itself switches the mode; ``with`` restores the old one on exit.
        self._previous = [_grad_enabled]
        self._mode = bool(mode)
        _grad_enabled = self._mode

    def __enter__(self) -> None:  # the mode was already set in __init__
        pass

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._previous[0]


# --------------------------------------------------------------------------------------------
# Anomaly mode
# --------------------------------------------------------------------------------------------

# Off by default: checking every result for NaN/inf costs a pass over each array.
_anomaly_enabled: bool = False


class AnomalyError(RuntimeError):
    """An op produced NaN or inf while ``detect_anomaly`` was on; the message names the op."""


class detect_anomaly(_GradModeContext):
    """Stop at the first op whose forward result or backward gradient holds NaN or inf.

    Like ``torch.autograd.detect_anomaly``: use it to find *which* op broke a training run
    (a log of 0, an overflowing exp), at the price of a check per op. Works as a context
    manager and as a decorator.

    >>> from chainrule import Tensor
    >>> with detect_anomaly():
    ...     Tensor([0.0]).log()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainrule.autograd.AnomalyError: log: the forward pass produced -inf at index (0,) ...
    """

    def __enter__(self) -> None:
        global _anomaly_enabled
        self._previous.append(_anomaly_enabled)
        _anomaly_enabled = True

    def __exit__(self, *exc: Any) -> None:
        global _anomaly_enabled
        _anomaly_enabled = self._previous.pop()


def _first_bad(arr: np.ndarray) -> str | None:
    """'nan at index (3, 1)' for the first non-finite entry of a float array, else None."""
    if arr.dtype.kind not in "fc" or np.isfinite(arr).all():
        return None
    flat = np.flatnonzero(~np.isfinite(arr))[0]
    index = tuple(int(i) for i in np.unravel_index(flat, arr.shape))
    return f"{arr.reshape(-1)[flat]} at index {index}"


def check_forward(name: str, out: np.ndarray, inputs: Sequence[Any]) -> None:
    """Raise ``AnomalyError`` if op ``name`` just produced NaN/inf (anomaly mode only)."""
    bad = _first_bad(np.asarray(out))
    if bad is not None:
        shapes = ", ".join(str(np.shape(a)) for a in inputs)
        raise AnomalyError(f"{name}: the forward pass produced {bad} "
                           f"(inputs of shapes {shapes}); detect_anomaly stopped here")


def _check_backward(name: str, grads: Sequence[Any]) -> None:
    for i, g in enumerate(grads):
        bad = None if g is None else _first_bad(np.asarray(g))
        if bad is not None:
            raise AnomalyError(f"{name}: the backward pass produced {bad} in the gradient for "
                               f"input {i}; detect_anomaly stopped here")


# --------------------------------------------------------------------------------------------
# Graph nodes
# --------------------------------------------------------------------------------------------


def _backward_class_name(op: str) -> str:
    # "log_softmax" -> "LogSoftmaxBackward", the way PyTorch names its grad_fn classes.
    return "".join(part.capitalize() for part in op.split("_")) + "Backward"


class Node:
    """One recorded op: its rule, what its forward saved, and the tensors it read.

    ``inputs`` holds every operand (tensors, or plain numbers/arrays that never need a grad);
    ``needs[i]`` says whether input ``i`` wants a gradient, so VJPs can skip the rest.
    """

    __slots__ = ("rule", "saved", "inputs", "needs", "freed")

    def __init__(self, rule: Rule, saved: Any, inputs: tuple, needs: tuple) -> None:
        self.rule = rule
        self.saved = saved
        self.inputs: tuple | None = inputs
        self.needs = needs
        self.freed = False

    @property
    def name(self) -> str:
        """The op's registered name, e.g. ``'mul'``."""
        return self.rule.name

    def free(self) -> None:
        """Drop saved arrays and input references (what ``retain_graph=False`` does)."""
        self.saved = None
        self.inputs = None
        self.freed = True

    def __repr__(self) -> str:
        return f"<{_backward_class_name(self.rule.name)}>"


# --------------------------------------------------------------------------------------------
# Topological order (iterative: a 100k-op chain must not hit Python's recursion limit)
# --------------------------------------------------------------------------------------------


def topological_order(root: "Tensor") -> list["Tensor"]:
    """Return every tensor that ``root`` depends on through grad-requiring edges, inputs first.

    Leaves appear too (so their hooks run once, on their summed gradient). The walk is an
    explicit-stack depth-first search; each tensor is appended after all of its inputs.
    """
    order: list[Tensor] = []
    visited: set[int] = {id(root)}
    # Two parallel stacks: the tensors on the current path, and for each, how many of its
    # inputs have been looked at so far.
    stack: list[Tensor] = [root]
    seen_inputs: list[int] = [0]
    while stack:
        tensor = stack[-1]
        node = tensor._node
        inputs = () if node is None or node.inputs is None else node.inputs
        i = seen_inputs[-1]
        descended = False
        while i < len(inputs):
            parent = inputs[i]
            i += 1
            if not node.needs[i - 1] or id(parent) in visited:
                continue
            visited.add(id(parent))
            if parent._node is None:  # a leaf has no inputs: place it straight away
                order.append(parent)
                continue
            seen_inputs[-1] = i
            stack.append(parent)
            seen_inputs.append(0)
            descended = True
            break
        if not descended:  # every input is already placed: this tensor can go
            stack.pop()
            seen_inputs.pop()
            order.append(tensor)
    return order


# --------------------------------------------------------------------------------------------
# The backward pass
# --------------------------------------------------------------------------------------------

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use a graph whose saved "
    "values were already freed by backward()). Specify retain_graph=True on the first "
    "backward() call if you need to backward through the graph again."
)


StepCallback = Callable[["Tensor", Node, np.ndarray, tuple], None]


def backward(
    root: "Tensor",
    gradient: Any = None,
    retain_graph: bool = False,
    on_step: StepCallback | None = None,
) -> None:
    """Accumulate d(root)/d(leaf) into ``.grad`` of every leaf that requires grad.

    ``gradient`` is the vector v in the vector-Jacobian product vᵀJ; it may be omitted only
    for a one-element ``root`` (then v = 1). ``on_step(tensor, node, g, sent)``, if given, is
    called after each node's VJP (before the node is freed) with the gradient g that reached
    ``tensor`` and the gradients sent to each input (None where none is needed): the hook
    behind the step-by-step backprop trace.
    """
    seed, seed_owned = _seed(root, gradient)
    _run(root, seed, seed_owned, retain_graph, capture=None, on_step=on_step)


def grad(
    outputs: "Tensor",
    inputs: "Tensor | Sequence[Tensor]",
    grad_outputs: Any = None,
    retain_graph: bool = False,
    allow_unused: bool = False,
) -> tuple["Tensor | None", ...]:
    """Return d(outputs)/d(inputs) as a tuple, without touching any ``.grad``.

    The functional form of ``backward`` (PyTorch's ``torch.autograd.grad``), used by gradcheck.

    >>> from chainrule import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> grad((x ** 2).sum(), x)
    (tensor([2., 4.]),)
    """
    single = isinstance(inputs, Tensor)
    targets = (inputs,) if single else tuple(inputs)
    for t in targets:
        if not t.requires_grad:
            raise RuntimeError("grad: one of the inputs does not require grad")
    seed, seed_owned = _seed(outputs, grad_outputs)
    capture: dict[int, Any] = {id(t): None for t in targets}
    _run(outputs, seed, seed_owned, retain_graph, capture=capture)
    result = []
    for t in targets:
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                "grad: one of the inputs was not used to compute the outputs "
                "(pass allow_unused=True to get None for it)"
            )
        result.append(None if g is None else Tensor._wrap(g))
    return tuple(result)


def _seed(root: "Tensor", gradient: Any) -> tuple[np.ndarray, bool]:
    """Build the starting gradient v (same shape and dtype as ``root``) and say if we own it."""
    if not isinstance(root, Tensor):
        raise TypeError(f"backward: expected a Tensor, got {type(root).__name__}")
    if not root._requires_grad:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: "
            "backward() needs a tensor computed from tensors with requires_grad=True"
        )
    data = root._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs "
                f"(this tensor has shape {data.shape}); pass gradient= to backward()"
            )
        return np.ones(data.shape, dtype=data.dtype), True
    g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if g.shape != data.shape:
        raise RuntimeError(
            f"backward: gradient has shape {g.shape} but the tensor has shape {data.shape}"
        )
    if g.dtype != data.dtype:
        return g.astype(data.dtype), True
    return g, False  # the caller's array: never write into it


def _is_fresh(g: np.ndarray, upstream: np.ndarray, earlier: Sequence[Any]) -> bool:
    """May we later add into ``g`` in place? Only if no one else can see this array.

    A VJP returns either a new array, the upstream gradient itself (``add`` returns ``g`` for
    both inputs), or a view of it (``reshape``, ``sum``'s broadcast). A new array owns its
    memory (``base is None``) and is not returned twice by the same VJP.
    """
    if g is upstream or g.base is not None or type(g) is not np.ndarray:
        return False  # (NumPy hands back scalars, not 0-d arrays, from ops on 0-d arrays)
    for e in earlier:
        if g is e:
            return False
    return True


def _run(
    root: "Tensor",
    seed: np.ndarray,
    seed_owned: bool,
    retain_graph: bool,
    capture: dict[int, Any] | None,
    on_step: StepCallback | None = None,
) -> None:
    order = topological_order(root)
    # Pending gradients, keyed by id(tensor): [array, owned]. "owned" means the array was
    # created during this backward and nobody else holds it, so it may be updated in place.
    pending: dict[int, list] = {id(root): [seed, seed_owned]}

    for tensor in reversed(order):  # outputs before inputs
        entry = pending.pop(id(tensor), None)
        if entry is None:
            continue
        g, owned = entry

        if tensor._hooks:
            for hook in list(tensor._hooks.values()):
                replaced = hook(Tensor._wrap(g))
                if replaced is not None:
                    g = _hook_result(replaced, g, tensor)
            owned = False  # a hook may have kept a reference to g

        node = tensor._node
        if node is not None and node.freed:
            raise RuntimeError(_FREED_MESSAGE)
        if capture is not None:
            if id(tensor) in capture:
                prev = capture[id(tensor)]
                capture[id(tensor)] = g if prev is None else prev + g
                owned = False
            if node is None:
                continue
        elif node is None:  # a leaf: gradients come to rest here
            _accumulate(tensor, g, owned)
            continue
        elif tensor._retains_grad:
            _accumulate(tensor, g, owned)
            owned = False  # .grad now shares this array

        rule = node.rule
        if rule.vjp is None:
            raise NotImplementedError(f"{rule.name}: no VJP rule is registered for this op")
        input_grads = rule.vjp(g, node.saved, node.needs)
        if _anomaly_enabled:
            _check_backward(rule.name, input_grads)

        inputs, needs = node.inputs, node.needs
        sent = [None] * len(inputs) if on_step is not None else None
        for i in range(len(inputs)):
            if not needs[i]:
                continue
            inp = inputs[i]
            gi = input_grads[i]
            shape = inp._data.shape
            if gi.shape != shape:
                if not rule.broadcasts:
                    raise RuntimeError(
                        f"{rule.name}: VJP returned a gradient of shape {gi.shape} "
                        f"for an input of shape {shape}"
                    )
                gi = unbroadcast(gi, shape)
            if sent is not None:
                sent[i] = gi
            slot = pending.get(id(inp))
            if slot is None:
                pending[id(inp)] = [gi, _is_fresh(gi, g, input_grads[:i] if i else ())]
            elif slot[1]:  # ours alone: add in place
                np.add(slot[0], gi, out=slot[0])
            else:  # shared with someone: make a new array, which is then ours
                total = slot[0] + gi
                slot[0] = total
                slot[1] = type(total) is np.ndarray

        if on_step is not None:
            on_step(tensor, node, g, tuple(sent))
        if not retain_graph:
            node.free()


def _hook_result(replaced: Any, g: np.ndarray, tensor: "Tensor") -> np.ndarray:
    arr = replaced._data if isinstance(replaced, Tensor) else np.asarray(replaced)
    if arr.shape != g.shape:
        raise RuntimeError(
            f"hook: returned a gradient of shape {arr.shape}, expected {g.shape}"
        )
    if arr.dtype != tensor._data.dtype:
        arr = arr.astype(tensor._data.dtype)
    return arr


def _accumulate(tensor: "Tensor", g: np.ndarray, owned: bool) -> None:
    """Add ``g`` into ``tensor.grad`` (creating it on first use), keeping the tensor's dtype."""
    dtype = tensor._data.dtype
    current = tensor._grad
    if current is None:
        if g.dtype != dtype:
            g = g.astype(dtype)
        elif not owned:
            g = g.copy()  # never let .grad alias an array someone else can see
        tensor._grad = Tensor._wrap(g)
    else:
        buf = current._data
        if buf.flags.writeable and buf.shape == g.shape:
            np.add(buf, g, out=buf, casting="unsafe")
        else:
            current._data = (buf + g).astype(dtype, copy=False)


def _warn_non_leaf_grad() -> None:
    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf is being accessed. It is not "
        "filled in by backward(); call .retain_grad() on it before backward() if you need it.",
        UserWarning,
        stacklevel=3,
    )


# At the bottom on purpose: tensor.py imports this module, and by now everything it needs
# from here (Node, the grad-mode flag) is defined.
from chainrule.tensor import Tensor  # noqa: E402

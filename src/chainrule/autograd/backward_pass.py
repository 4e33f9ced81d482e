"""The backward pass: the chain rule, applied once per node in reverse topological order.

This is the only code that walks a graph. The math of every op (its forward and its
vector-Jacobian product) lives in ``chainrule.autograd.rules``; this file only decides *in which
order* those VJPs run and *where* their results go.

``backward`` visits the graph once, outputs first, so every tensor's gradient is complete
(summed over all paths) before it is pushed further down. Without ``retain_graph=True`` each
node drops its saved arrays and inputs as soon as its VJP has run, which both frees memory and
makes a second backward through the same graph fail loudly, as in PyTorch.

Read :func:`_run` first: it is the chain rule. Everything after it is bookkeeping with a name:
hooks, where a gradient comes to rest, shape checks, and when an array may be added into in
place.

>>> from chainrule import Tensor
>>> x = Tensor([2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([4., 6.])
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from chainrule.autograd import versions
from chainrule.autograd.grad_mode import check_backward, state
from chainrule.autograd.graph import FREED_MESSAGE, Node, topological_order
from chainrule.autograd.higher_order import run_graph
from chainrule.autograd.registry import Rule
from chainrule.autograd.shapes import unbroadcast

__all__ = ["backward", "grad", "StepCallback"]

# ``Tensor`` below is any object with the graph protocol described in ``autograd.graph``.
Tensor = Any

StepCallback = Callable[[Tensor, Node, np.ndarray, tuple], None]


def backward(
    root: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    on_step: StepCallback | None = None,
    create_graph: bool = False,
    inputs: "Tensor | Sequence[Tensor] | None" = None,
) -> None:
    """Accumulate d(root)/d(leaf) into ``.grad`` of every leaf that requires grad.

    ``gradient`` is the vector v in the vector-Jacobian product vᵀJ; it may be omitted only
    for a one-element ``root`` (then v = 1). ``on_step(tensor, node, g, sent)``, if given, is
    called after each node's VJP (before the node is freed) with the gradient g that reached
    ``tensor`` and the gradients sent to each input (None where none is needed): the seam
    behind the step-by-step backprop trace. With ``create_graph=True`` the backward pass is
    itself recorded (``.grad`` gets a ``grad_fn``); ``inputs`` limits which tensors accumulate
    a ``.grad`` (leaves or not), as in PyTorch. ``retain_graph`` defaults to ``create_graph``.
    """
    retain = create_graph if retain_graph is None else bool(retain_graph)
    if inputs is not None:  # accumulate into these tensors only: run as grad(), then add
        targets = (inputs,) if _is_tensor(inputs) else tuple(inputs)
        if not targets:
            raise RuntimeError("backward: inputs= must not be empty")
        grads = grad(root, targets, gradient, retain, create_graph, allow_unused=True)
        for t, g in zip(targets, grads):
            if g is None:
                continue
            if create_graph:
                t._grad = g if t._grad is None else t._grad + g
            else:
                _accumulate(t, g._data, owned=False)
        return
    if create_graph:
        run_graph(root, _seed_tensor(root, gradient), retain, capture=None)
        return
    seed, owned = _seed(root, gradient)
    _run(root, seed, owned, retain, capture=None, on_step=on_step)


def grad(
    outputs: "Tensor | Sequence[Tensor]",
    inputs: "Tensor | Sequence[Tensor]",
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
    on_step: StepCallback | None = None,
) -> tuple["Tensor | None", ...]:
    """Return d(outputs)/d(inputs) as a tuple, without touching any ``.grad``.

    The functional form of ``backward`` (PyTorch's ``torch.autograd.grad``), used by gradcheck
    and, with ``on_step`` (as in ``backward``), by the read-only backprop trace. Several outputs
    (with one ``grad_outputs`` entry each) give the sum of their vector-Jacobian products. With
    ``create_graph=True`` the results have a graph of their own and can be differentiated again.

    >>> from chainrule import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> grad((x ** 2).sum(), x)
    (tensor([2., 4.]),)
    """
    targets = (inputs,) if _is_tensor(inputs) else tuple(inputs)
    for t in targets:
        if not t.requires_grad:
            raise RuntimeError("grad: one of the differentiated tensors does not require grad")
    roots = (outputs,) if _is_tensor(outputs) else tuple(outputs)
    if (
        grad_outputs is None
        or _is_tensor(grad_outputs)
        or not isinstance(grad_outputs, (list, tuple))
    ):
        seeds = (grad_outputs,) * len(roots) if len(roots) == 1 or grad_outputs is None else None
        if seeds is None:
            raise RuntimeError("grad: pass one grad_outputs entry per output")
    else:
        seeds = tuple(grad_outputs)
        if len(seeds) != len(roots):
            raise RuntimeError(f"grad: got {len(roots)} outputs but {len(seeds)} grad_outputs")
    retain = create_graph if retain_graph is None else bool(retain_graph)
    capture: dict[int, Any] = {id(t): None for t in targets}
    for k, (root, seed) in enumerate(zip(roots, seeds)):
        # Several outputs may share a graph: keep it until the last one has been pushed.
        keep = retain or k < len(roots) - 1
        if create_graph:
            run_graph(root, _seed_tensor(root, seed), keep, capture=capture)
        else:
            array, owned = _seed(root, seed)
            _run(root, array, owned, keep, capture=capture, on_step=on_step)
    result = []
    for t in targets:
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise RuntimeError(
                "grad: one of the inputs was not used to compute the outputs "
                "(pass allow_unused=True to get None for it)"
            )
        if g is None or create_graph:
            result.append(g)
        else:
            result.append(t._wrap(g))
    return tuple(result)


# ------------------------------------------------------------------------------------------------
# The chain rule
# --------------------------------------------------------------------------------------------------
def _run(
    root: Tensor,
    seed: np.ndarray,
    seed_owned: bool,
    retain_graph: bool,
    capture: dict[int, Any] | None,
    on_step: StepCallback | None = None,
) -> None:
    """Push ``seed`` = dL/d(root) down the graph, one node at a time."""
    pending = _PendingGradients(root, seed, seed_owned)
    for tensor in reversed(topological_order(root)):  # outputs before inputs
        slot = pending.take(tensor)  # [dL/d(tensor) summed over every path, owned?], or None
        if slot is None:
            continue  # no gradient reached it (a path that only leads to other targets)
        g, owned = slot
        if tensor._hooks:
            g, owned = _run_hooks(tensor, g), False  # a hook may keep a reference to g
        node = tensor._node
        if node is not None and node.freed:
            raise RuntimeError(FREED_MESSAGE)
        _store(tensor, g, owned, capture)  # into .grad at a leaf (or for grad()'s caller)
        if node is None:
            continue  # a leaf: the gradient comes to rest here
        if node.clock != versions.clock.now:  # something was written in place since
            versions.check_unchanged(node)
        if node.hooks is None:
            sent = _send_to_inputs(node, g, pending)  # dL/d(input) = VJP(g): upstream × local
        else:
            sent = _send_with_node_hooks(tensor, node, g, pending)
        if on_step is not None:
            on_step(tensor, node, g, sent)
        if not retain_graph:
            node.free()


def _send_to_inputs(node: Node, g: np.ndarray, pending: "_PendingGradients") -> tuple:
    """Call the node's VJP on ``g`` and hand each input that needs one its gradient."""
    rule = node.rule
    if rule.vjp is None:
        raise NotImplementedError(f"{rule.name}: no VJP rule is registered for this op")
    input_grads = rule.vjp(g, node.saved, node.needs)
    if state.anomaly_enabled:
        check_backward(rule.name, input_grads)
    sent = []
    for i, (inp, needed) in enumerate(zip(node.inputs, node.needs)):
        if not needed:
            sent.append(None)
            continue
        gi = input_grads[i]
        if gi.shape != inp._data.shape:  # (checked here: a call per gradient is measurable)
            gi = _to_input_shape(rule, gi, inp._data.shape)
        pending.add(inp, gi, fresh=_is_fresh(gi, g, input_grads[:i]))
        sent.append(gi)
    return tuple(sent)


def _send_with_node_hooks(
    tensor: Tensor, node: Node, g: np.ndarray, pending: "_PendingGradients"
) -> tuple:
    """``_send_to_inputs`` with ``grad_fn.register_prehook`` / ``register_hook`` around the VJP."""
    g_out = node.run_prehooks(tensor._wrap(g))
    g = g_out._data if _is_tensor(g_out) else np.asarray(g_out)
    rule = node.rule
    if rule.vjp is None:
        raise NotImplementedError(f"{rule.name}: no VJP rule is registered for this op")
    raw = rule.vjp(g, node.saved, node.needs)
    grads = tuple(
        None if not needed else tensor._wrap(_to_input_shape(rule, raw[i], inp._data.shape))
        for i, (inp, needed) in enumerate(zip(node.inputs, node.needs))
    )
    grads = node.run_posthooks(grads, tensor._wrap(g))
    sent = []
    for inp, needed, gi in zip(node.inputs, node.needs, grads):
        if not needed or gi is None:
            sent.append(None)
            continue
        arr = gi._data if _is_tensor(gi) else np.asarray(gi)
        if arr.shape != inp._data.shape:
            raise RuntimeError(
                f"hook: {node.name()} gave a gradient of shape {arr.shape} for an input of "
                f"shape {inp._data.shape}"
            )
        pending.add(inp, arr, fresh=False)  # a hook may hold on to it
        sent.append(arr)
    return tuple(sent)


# ------------------------------------------------------------------------------------------------
# Bookkeeping, each piece behind a name
# --------------------------------------------------------------------------------------------------
class _PendingGradients:
    """Gradients that reached a tensor and wait to be pushed further down.

    Each entry remembers whether this backward pass *owns* its array (created it, and nobody
    else can see it). An owned array may be added into in place when a second path arrives,
    which saves one allocation per shared tensor; a borrowed one is copied on the first add.
    """

    __slots__ = ("_slots",)

    def __init__(self, root: Tensor, seed: np.ndarray, owned: bool) -> None:
        self._slots: dict[int, list] = {id(root): [seed, owned]}

    def take(self, tensor: Tensor) -> list | None:
        """Remove and return ``[g, owned]`` for ``tensor``, or None if no gradient reached it."""
        return self._slots.pop(id(tensor), None)

    def add(self, tensor: Tensor, g: np.ndarray, fresh: bool) -> None:
        slot = self._slots.get(id(tensor))
        if slot is None:
            self._slots[id(tensor)] = [g, fresh]
        elif slot[1]:  # ours alone: add in place
            np.add(slot[0], g, out=slot[0])
        else:  # shared with someone: make a new array, which is then ours
            total = slot[0] + g
            slot[0] = total
            slot[1] = type(total) is np.ndarray  # (NumPy hands back scalars for 0-d sums)


def _is_fresh(g: np.ndarray, upstream: np.ndarray, earlier: Sequence[Any]) -> bool:
    """May we later add into ``g`` in place? Only if no one else can see this array.

    A VJP returns either a new array, the upstream gradient itself (``add`` returns ``g`` for
    both inputs), or a view of it (``reshape``, ``sum``'s broadcast). A new array owns its
    memory (``base is None``) and is not returned twice by the same VJP.
    """
    if g is upstream or g.base is not None or type(g) is not np.ndarray:
        return False  # (NumPy hands back scalars, not 0-d arrays, from ops on 0-d arrays)
    for e in earlier:  # a loop, not any(...): this runs for every gradient of every step
        if g is e:
            return False
    return True


def _to_input_shape(rule: Rule, g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo broadcasting for rules that broadcast; for the rest a wrong shape is a bug."""
    if g.shape == shape:
        return g
    if not rule.broadcasts:
        raise RuntimeError(
            f"{rule.name}: VJP returned a gradient of shape {g.shape} for an input of shape {shape}"
        )
    return unbroadcast(g, shape)


def _run_hooks(tensor: Tensor, g: np.ndarray) -> np.ndarray:
    """Call each hook with g; a hook that returns a tensor replaces g from then on."""
    for hook in list(tensor._hooks.values()):
        replaced = hook(tensor._wrap(g))
        if replaced is None:
            continue
        arr = replaced._data if _is_tensor(replaced) else np.asarray(replaced)
        if arr.shape != g.shape:
            raise RuntimeError(
                f"hook: returned a gradient of shape {arr.shape}, expected {g.shape}"
            )
        if arr.dtype != tensor._data.dtype:
            arr = arr.astype(tensor._data.dtype)
        g = arr
    return g


def _store(tensor: Tensor, g: np.ndarray, owned: bool, capture: dict[int, Any] | None) -> None:
    """Put g where the caller reads it: ``.grad`` (leaves, ``retain_grad``) or grad()'s result."""
    if capture is not None:  # grad(): hand results back, touch no .grad
        if id(tensor) in capture:
            earlier = capture[id(tensor)]
            capture[id(tensor)] = g if earlier is None else earlier + g
    elif tensor._node is None or tensor._retains_grad:
        _accumulate(tensor, g, owned)


def _accumulate(tensor: Tensor, g: np.ndarray, owned: bool) -> None:
    """Add ``g`` into ``tensor.grad`` (creating it on first use), keeping the tensor's dtype."""
    dtype = tensor._data.dtype
    current = tensor._grad
    if current is None:
        if g.dtype != dtype:
            g = g.astype(dtype)
        elif not owned:
            g = g.copy()  # never let .grad alias an array someone else can see
        tensor._grad = tensor._wrap(g)
    else:
        buf = current._data
        if buf.flags.writeable and buf.shape == g.shape:
            np.add(buf, g, out=buf, casting="unsafe")
        else:
            current._data = (buf + g).astype(dtype, copy=False)


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "_node") and hasattr(x, "_wrap")


def _seed(root: Tensor, gradient: Any) -> tuple[np.ndarray, bool]:
    """Build the starting gradient v (same shape and dtype as ``root``) and say if we own it."""
    if not _is_tensor(root):
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
    g = gradient._data if _is_tensor(gradient) else np.asarray(gradient)
    if g.shape != data.shape:
        raise RuntimeError(
            f"backward: gradient has shape {g.shape} but the tensor has shape {data.shape}"
        )
    if g.dtype != data.dtype:
        return g.astype(data.dtype), True
    return g, False  # the caller's array: never write into it


def _seed_tensor(root: Tensor, gradient: Any) -> Tensor:
    """The starting gradient as a tensor (for ``create_graph``): a given tensor is used as it
    is, so the result can be differentiated with respect to it too."""
    if _is_tensor(gradient):
        _seed(root, gradient)  # the same checks
        if gradient._data.dtype != root._data.dtype:
            return gradient.to(root._data.dtype)
        return gradient
    array, _ = _seed(root, gradient)
    return root._wrap(array)


def warn_non_leaf_grad() -> None:
    """The warning PyTorch gives when ``.grad`` of a non-leaf is read without ``retain_grad``."""
    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf is being accessed. It is not "
        "filled in by backward(); call .retain_grad() on it before backward() if you need it.",
        UserWarning,
        stacklevel=3,
    )

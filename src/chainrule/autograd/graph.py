"""The recorded graph: one :class:`Node` per op, and the order in which backward visits them.

How a graph looks (the same shape PyTorch uses):

- every tensor produced by a differentiable op holds one :class:`Node` (its ``grad_fn``);
- a node holds the op's rule, the arrays the rule saved in its forward pass, and the *input
  tensors* it was computed from. It never holds its output tensor, so there are no reference
  cycles and a graph dies as soon as its last tensor does;
- leaves (tensors you create) have no node; gradients stop there and accumulate into ``.grad``.

The engine never imports the Tensor class. It works on anything with this small protocol:
``_node`` (a Node or None), ``_data`` (the array), ``_requires_grad``, ``_grad``, ``_hooks``,
``_retains_grad``, and a ``_wrap(array)`` that builds a new graph-free tensor.
"""

from __future__ import annotations

from typing import Any

from chainrule.autograd.registry import Rule
from chainrule.autograd.versions import clock as _versions

__all__ = ["AccumulateGrad", "Node", "topological_order", "torch_name", "FREED_MESSAGE"]

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use a graph whose saved "
    "values were already freed by backward()). Specify retain_graph=True on the first "
    "backward() call if you need to backward through the graph again."
)


# PyTorch's grad_fn class for the ops whose name is not just the op's in CamelCase. The
# variants of one op (``sum()`` vs ``sum(dim)``) are named by the Tensor method, via ``label``.
TORCH_NAMES = {
    "cast": "ToCopyBackward0",
    "reshape": "ViewBackward0",
    "getitem": "IndexBackward0",
    "matmul": "MmBackward0",
    "linear": "AddmmBackward0",
    "cross_entropy": "NllLossBackward0",
    "clamp": "ClampBackward1",
    "gelu": "GeluBackward0",
    "leaky_relu": "LeakyReluBackward0",
    "log1p": "Log1PBackward0",
}


def torch_name(op: str) -> str:
    """``'log_softmax'`` -> ``'LogSoftmaxBackward0'``, the name PyTorch gives its grad_fn."""
    return TORCH_NAMES.get(op) or "".join(p.capitalize() for p in op.split("_")) + "Backward0"


class AccumulateGrad:
    """Where a gradient reaches a leaf, in ``grad_fn.next_functions`` (as in PyTorch)."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class NodeHookHandle:
    """What ``grad_fn.register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, table: dict[int, Any]) -> None:
        NodeHookHandle._next_id += 1
        self.id = NodeHookHandle._next_id
        self._table = table

    def remove(self) -> None:
        self._table.pop(self.id, None)


class Node:
    """One recorded op: its rule, what its forward saved, and the tensors it read.

    ``inputs`` holds every operand (tensors, or plain numbers/arrays that never need a grad);
    ``needs[i]`` says whether input ``i`` wants a gradient, so VJPs can skip the rest.
    ``label`` is PyTorch's name for this node when the op alone does not decide it.
    """

    __slots__ = ("rule", "saved", "inputs", "needs", "freed", "label", "hooks", "clock")

    def __init__(self, rule: Rule, saved: Any, inputs: tuple, needs: tuple) -> None:
        self.rule = rule
        self.saved = saved
        self.inputs: tuple | None = inputs
        self.needs = needs
        self.freed = False
        self.label: str | None = None
        # {"pre": {id: fn}, "post": {id: fn}} once a hook is registered; None keeps the
        # backward loop's check to one attribute read for the (usual) node without hooks.
        self.hooks: dict[str, dict[int, Any]] | None = None
        # The in-place clock when recorded: backward checks saved arrays only if it moved.
        self.clock = _versions.now

    def register_prehook(self, hook: Any) -> "NodeHookHandle":
        """Call ``hook(grad_outputs)`` before this node's VJP; a returned tuple replaces them.

        ``grad_outputs`` is a 1-tuple: dL/d(this node's output), as in PyTorch.
        """
        return self._add_hook("pre", hook)

    def register_hook(self, hook: Any) -> "NodeHookHandle":
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's VJP; a returned tuple
        replaces ``grad_inputs`` (one entry per input, None where none is needed)."""
        return self._add_hook("post", hook)

    def run_prehooks(self, grad_output: Any) -> Any:
        """dL/d(output) after every prehook (each may replace it): both backward passes call this."""
        (grad_output,) = self._run_hooks("pre", (grad_output,), None)
        return grad_output

    def run_posthooks(self, grad_inputs: tuple, grad_output: Any) -> tuple:
        """The inputs' gradients after every ``register_hook`` hook (each may replace them)."""
        return self._run_hooks("post", tuple(grad_inputs), (grad_output,))

    def _run_hooks(self, kind: str, grads: tuple, grad_outputs: tuple | None) -> tuple:
        for hook in list(self.hooks[kind].values()) if self.hooks else ():
            out = hook(grads) if grad_outputs is None else hook(grads, grad_outputs)
            if out is not None:
                out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
                if len(out) != len(grads):
                    raise RuntimeError(f"hook returned {len(out)} gradients, expected {len(grads)}")
                grads = out
        return grads

    def _add_hook(self, kind: str, hook: Any) -> "NodeHookHandle":
        if not callable(hook):
            raise TypeError(f"register_hook expects a function, got {type(hook).__name__}")
        if self.hooks is None:
            self.hooks = {"pre": {}, "post": {}}
        handle = NodeHookHandle(self.hooks[kind])
        self.hooks[kind][handle.id] = hook
        return handle

    @property
    def op(self) -> str:
        """The op's registered name in the rule table, e.g. ``'mul'``."""
        return self.rule.name

    def name(self) -> str:
        """PyTorch's name for this node, e.g. ``'MulBackward0'``."""
        return self.label or torch_name(self.rule.name)

    @property
    def next_functions(self) -> tuple:
        """``(node, 0)`` per input: its grad_fn, an AccumulateGrad for a leaf, or None."""
        if self.inputs is None:
            return ()
        out = []
        for x, needed in zip(self.inputs, self.needs):
            if not needed:
                out.append((None, 0))
            elif x._node is not None:
                out.append((x._node, 0))
            else:
                out.append((AccumulateGrad(x), 0))
        return tuple(out)

    def free(self) -> None:
        """Drop saved arrays and input references (what ``retain_graph=False`` does)."""
        self.saved = None
        self.inputs = None
        self.freed = True

    def __repr__(self) -> str:
        return f"<{self.name()}>"


# ------------------------------------------------------------------------------------------------
# Topological order (iterative: a 100k-op chain must not hit Python's recursion limit)
# --------------------------------------------------------------------------------------------------
def topological_order(root: Any) -> list[Any]:
    """Return every tensor that ``root`` depends on through grad-requiring edges, inputs first.

    Leaves appear too (so their hooks run once, on their summed gradient). The walk is an
    explicit-stack depth-first search; each tensor is appended after all of its inputs.
    """
    order: list[Any] = []
    visited: set[int] = {id(root)}
    # Two parallel stacks: the tensors on the current path, and for each, how many of its
    # inputs have been looked at so far.
    stack: list[Any] = [root]
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

"""Did an array a node saved change in place after the node was recorded? (version counting)

A VJP reads what its forward saved: ``exp`` keeps its output, ``mul`` its inputs. If that
memory is overwritten in place before ``backward()`` (``y = x.exp()``, then
``with no_grad(): y.add_(1)``), the gradient would be computed from the wrong numbers, with
no sign of it. PyTorch keeps a version counter per tensor for this; here one clock does the
same job for every array at once, at the cost of one integer read per recorded node:

- the clock ticks at every in-place write, and the written array's *owner* (the root of its
  ``.base`` chain, which every view shares) remembers the tick;
- a node remembers the clock when it is recorded;
- backward checks a node's saved arrays only if the clock has moved since (rarely), and raises
  PyTorch's error if one of them was written after the node was made.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

__all__ = ["clock", "mark_written", "check_unchanged"]


class _Clock:
    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0


#: ``clock.now`` is the number of in-place writes so far; a node keeps the value it saw.
clock = _Clock()

# id(owner array) -> (a weak reference to it, the tick of its last in-place write). The weak
# reference drops the entry when the array dies, and guards against a reused id.
_written: dict[int, tuple[weakref.ref, int]] = {}


def _owner(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def mark_written(array: np.ndarray) -> None:
    """Record an in-place write into ``array`` (or into a view of the same memory)."""
    clock.now += 1
    owner = _owner(array)
    key = id(owner)
    _written[key] = (weakref.ref(owner, lambda _, key=key: _written.pop(key, None)), clock.now)


def check_unchanged(node: Any, read_inputs: bool = False) -> None:
    """Raise if an array ``node`` saved was written in place after the node was recorded.

    ``read_inputs``: the VJP also reads the input tensors (the ``create_graph`` pass does).
    """
    for array in _arrays(node.saved, node.inputs if read_inputs else ()):
        owner = _owner(array)
        entry = _written.get(id(owner))
        if entry is not None and entry[0]() is owner and entry[1] > node.clock:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: an array of shape {list(array.shape)} that "
                f"{node.name()} saved was written in place after the forward pass; make that "
                "change out of place (y = y.add(1), not y.add_(1)) or after backward()"
            )


def _arrays(saved: Any, inputs: Any) -> list[np.ndarray]:
    found: list[np.ndarray] = []
    stack = [saved, tuple(getattr(x, "_data", None) for x in inputs or ())]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            found.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found

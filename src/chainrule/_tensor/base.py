"""``TensorBase``: what every tensor holds, before any method is attached.

The methods live in files named for their topic (``arithmetic.py``, ``reductions.py``, ...) and
``tensor.py`` assembles them into :class:`~chainrule.Tensor`. Those files need to ask "is this a
tensor?" without importing the finished class (which imports them), so they ask about this base.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TensorBase:
    """The state of a tensor: its array, its gradient and its place in the graph.

    - ``_data``: the NumPy array of values
    - ``_grad``: dL/d(self) after ``backward()`` (a Tensor), or None
    - ``_requires_grad``: whether ops on it are recorded
    - ``_node``: the graph node that produced it (None for a leaf)
    - ``_hooks``: gradient hooks from ``register_hook`` (None until one is registered)
    - ``_retains_grad``: whether a non-leaf keeps its ``.grad`` (``retain_grad()``)
    """

    __slots__ = (
        "_data",
        "_grad",
        "_requires_grad",
        "_node",
        "_hooks",
        "_retains_grad",
        "__weakref__",
        # Lessons that backpropagate by hand keep gradients on the tensors (``x.g = ...``),
        # as PyTorch allows, so a tensor takes new attributes.
        "__dict__",
    )

    # Tell NumPy to step aside: ``ndarray + Tensor`` then calls Tensor.__radd__ (and stays
    # differentiable) instead of NumPy converting the Tensor into an array.
    __array_ufunc__ = None


def missing_attribute(owner: str, name: str, known: Iterable[str]) -> str:
    """The message for a name chainrule does not have: the closest ones it does have, if any."""
    public = [k for k in known if not k.startswith("_")]
    close = difflib.get_close_matches(name, public, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"chainrule {owner} has no attribute {name!r}{hint} (chainrule supports the parts of "
        f"PyTorch an MLP course uses: see docs/tensor.md, 'Coming from PyTorch')"
    )

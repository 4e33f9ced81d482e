"""Grad mode and anomaly mode: the switches that decide whether ops record a graph.

(The third switch, whether a ``forward_ad.dual_level`` is open, is read from the same
:data:`state`; ``forward_ad.py`` sets it.)

``no_grad`` / ``enable_grad`` / ``set_grad_enabled`` turn graph recording off and on (for
evaluation and optimizer steps); ``detect_anomaly`` stops at the first op that produces NaN or
inf. Both are read through :data:`state`, which every op consults.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "state",
    "is_grad_enabled",
    "no_grad",
    "inference_mode",
    "enable_grad",
    "set_grad_enabled",
    "detect_anomaly",
    "set_detect_anomaly",
    "AnomalyError",
    "check_forward",
    "check_backward",
]


class _ModeState:
    """The two process-wide switches every op reads: record a graph? check for NaN/inf?

    PyTorch keeps them per thread; a teaching library does not need that. Ops read them on every
    call, so they are plain attributes of one object (``state``) rather than function calls.
    """

    __slots__ = ("grad_enabled", "anomaly_enabled", "dual_level")

    def __init__(self) -> None:
        self.grad_enabled = True
        # Off by default: checking every result for NaN/inf costs a pass over each array.
        self.anomaly_enabled = False
        # The open ``forward_ad.dual_level`` (a number), or None: then no op looks at tangents.
        self.dual_level: int | None = None


state = _ModeState()


def is_grad_enabled() -> bool:
    """Return True when new ops record a graph.

    >>> is_grad_enabled()
    True
    """
    return state.grad_enabled


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

    def __init__(self) -> None:
        # A stack, not a single slot, so one instance can be re-entered (recursive decorated
        # functions, or the same decorator on a generator of calls).
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(state.grad_enabled)
        state.grad_enabled = self._mode

    def __exit__(self, *exc: Any) -> None:
        state.grad_enabled = self._previous.pop()

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


class inference_mode(no_grad):
    """``torch.inference_mode``: here the same as :class:`no_grad` (there is no faster path)."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode
        super().__init__()


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
        # Like torch: the call itself switches the mode; ``with`` restores the old one on exit.
        self._previous = [state.grad_enabled]
        self._mode = bool(mode)
        state.grad_enabled = self._mode

    def __enter__(self) -> None:  # the mode was already set in __init__
        pass

    def __exit__(self, *exc: Any) -> None:
        state.grad_enabled = self._previous[0]


# ------------------------------------------------------------------------------------------------
# Anomaly mode
# --------------------------------------------------------------------------------------------------
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
    chainrule.autograd.grad_mode.AnomalyError: log: the forward pass produced -inf at index (0,) ...
    """

    def __enter__(self) -> None:
        self._previous.append(state.anomaly_enabled)
        state.anomaly_enabled = True

    def __exit__(self, *exc: Any) -> None:
        state.anomaly_enabled = self._previous.pop()


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """``set_detect_anomaly(True)``: anomaly mode on for the rest of the program, or, used as
    ``with set_detect_anomaly(flag):``, for a block (as ``torch.autograd.set_detect_anomaly``)."""

    def __init__(self, mode: bool) -> None:
        self._previous = state.anomaly_enabled
        state.anomaly_enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        state.anomaly_enabled = self._previous


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
        raise AnomalyError(
            f"{name}: the forward pass produced {bad} "
            f"(inputs of shapes {shapes}); detect_anomaly stopped here"
        )


def check_backward(name: str, grads: Sequence[Any]) -> None:
    for i, g in enumerate(grads):
        bad = None if g is None else _first_bad(np.asarray(g))
        if bad is not None:
            raise AnomalyError(
                f"{name}: the backward pass produced {bad} in the gradient for "
                f"input {i}; detect_anomaly stopped here"
            )

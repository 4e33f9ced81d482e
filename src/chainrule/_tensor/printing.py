"""How a tensor prints: PyTorch's format, character for character, and ``set_printoptions``.

A course projects ``print(x)`` output and compares it with the notes, so chainrule prints what
PyTorch prints: ``tensor([1., 2.])`` for whole floats, four decimals otherwise, scientific
notation when the values span more than three orders of magnitude, columns padded to one width,
rows wrapped at 80 characters and tensors of more than 1,000 elements summarised with ``...``.

The rules, as PyTorch applies them to the finite non-zero values of a float tensor:

- all of them whole numbers -> ``int mode``: ``2.`` (scientific if max/min > 1000 or max > 1e8);
- otherwise -> ``{:.4f}``, or scientific (``{:.4e}``) if max/min > 1000, max > 1e8 or min < 1e-4;
- ``set_printoptions(sci_mode=...)`` overrides the choice; every element is right-aligned to the
  widest one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PrintOptions", "options", "set_printoptions", "tensor_repr"]


@dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


options = PrintOptions()

_PROFILES = {
    "default": PrintOptions(),
    "short": PrintOptions(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": PrintOptions(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, with ``torch.set_printoptions``'s arguments and profiles.

    >>> chainrule.set_printoptions(precision=2)
    >>> Tensor([1.23456, 2.5])
    tensor([1.23, 2.50])
    >>> chainrule.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            )
        base = _PROFILES[profile]
        options.precision, options.threshold = base.precision, base.threshold
        options.edgeitems, options.linewidth = base.edgeitems, base.linewidth
    if precision is not None:
        options.precision = int(precision)
    if threshold is not None:
        options.threshold = threshold
    if edgeitems is not None:
        options.edgeitems = int(edgeitems)
    if linewidth is not None:
        options.linewidth = int(linewidth)
    # PyTorch sets sci_mode on every call, so passing nothing restores the automatic choice.
    options.sci_mode = sci_mode


class _Formatter:
    """Chooses one format for all elements (PyTorch's ``_Formatter``) and pads to one width."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind in "fc"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = options.precision
        if not self.floating:
            for v in values.ravel().tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        vals = values.astype(np.float64).ravel()
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if not vals.size:
            return  # as PyTorch: no nonzero finite value, so sci_mode= has nothing to change
        big, small = float(np.abs(vals).max()), float(np.abs(vals).min())
        self.int_mode = bool((vals == np.ceil(vals)).all())
        self.sci_mode = big / small > 1000.0 or big > 1.0e8
        if not self.int_mode:
            self.sci_mode = self.sci_mode or small < 1.0e-4
        if options.sci_mode is not None:
            self.sci_mode = options.sci_mode
        # the width every element is padded to, measured in the format finally chosen
        if self.sci_mode:
            widths = (len(f"{v:.{p}e}") for v in vals.tolist())
        elif self.int_mode:
            widths = (len(f"{v:.0f}") + 1 for v in vals.tolist())  # + 1 for the "."
        else:
            widths = (len(f"{v:.{p}f}") for v in vals.tolist())
        self.max_width = max(self.max_width, *widths)

    def format(self, value: Any) -> str:
        p = options.precision
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{p}f}"
        else:
            text = str(value)
        return " " * (self.max_width - len(text)) + text


def _summarized(arr: np.ndarray) -> np.ndarray:
    """Only the elements a summarised print shows (the first and last ``edgeitems`` per dim)."""
    e = options.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        return np.concatenate([arr[:e], arr[-e:]]) if arr.shape[0] > 2 * e else arr
    if not e:
        return arr[tuple(slice(0, 0) for _ in arr.shape)]
    rows = list(range(e)) + list(range(arr.shape[0] - e, arr.shape[0]))
    if arr.shape[0] <= 2 * e:
        rows = list(range(arr.shape[0]))
    return np.stack([_summarized(arr[i]) for i in rows])


def _vector(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2  # ", " between elements
    per_line = max(1, int(math.floor((options.linewidth - indent) / element_length)))
    e = options.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        data = (
            [fmt.format(v) for v in arr[:e].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in arr[-e:].tolist()]
        )
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector(arr, indent, summarize, fmt)
    e = options.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * e:
        rows = (
            [_nested(arr[i], indent + 1, summarize, fmt) for i in range(e)]
            + ["..."]
            + [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
        )
    else:
        rows = [_nested(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``dtype=...``, ``grad_fn=...``, wrapping onto a new line past the line width."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > options.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


# The dtypes PyTorch leaves out of a tensor's repr, because data of that kind gets them anyway.
_IMPLIED = {np.dtype("float32"), np.dtype("int64"), np.dtype("bool"), np.dtype("complex64")}


def tensor_repr(
    arr: np.ndarray, dtype_name: str, extras: list[str], prefix: str = "tensor("
) -> str:
    """The text of ``repr(tensor)``: values, then ``dtype=``, then the autograd suffixes."""
    indent = len(prefix)
    suffixes = []
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if arr.dtype != np.float32:  # nothing to infer the dtype from: always said
            suffixes.append("dtype=" + dtype_name)
        body = "[]"
    else:
        if arr.dtype not in _IMPLIED:
            suffixes.append("dtype=" + dtype_name)
        summarize = arr.size > options.threshold
        values = arr.astype(np.float32) if arr.dtype == np.float16 else arr
        fmt = _Formatter(_summarized(values) if summarize else values)
        body = _nested(values, indent, summarize, fmt)
    return _with_suffixes(prefix + body, suffixes + extras, indent)

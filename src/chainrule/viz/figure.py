"""Figures that show themselves in a notebook and always wear the lecture style.

chainrule builds figures without ``pyplot`` (no global state, no GUI backend), but a bare
``matplotlib.figure.Figure`` shows in Jupyter only as ``<Figure size ...>`` text until
``%matplotlib inline`` registers a display hook. :class:`LectureFigure` carries its own
``_repr_png_``, which IPython (and Colab) call directly, so it displays inline the first time.

>>> fig, axes = new_figure(ncols=2, width=3.0, height=2.5)
>>> fig.get_size_inches().tolist(), len(axes)
([6.0, 2.5], 2)
>>> fig._repr_png_()[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from chainrule.viz.style import LECTURE_STYLE

__all__ = ["LectureFigure", "lecture_style", "new_figure"]


@contextmanager
def lecture_style() -> Iterator[None]:
    """Apply :data:`LECTURE_STYLE` for the duration of a ``with`` block."""
    with matplotlib.rc_context(LECTURE_STYLE):
        yield


class LectureFigure(Figure):
    """A matplotlib Figure that saves in the lecture style and shows itself in a notebook.

    ``_repr_png_`` renders at the figure's own size and dpi (a 12.8-inch figure is 1280 px),
    so what a notebook shows is what ``chainrule demo --out`` writes.
    """

    def savefig(self, fname: Any, *args: Any, **kwargs: Any) -> None:
        with lecture_style():  # tick labels are made at draw time: style them too
            super().savefig(fname, *args, **kwargs)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()

    def __repr__(self) -> str:
        w, h = (self.get_size_inches() * self.dpi).round().astype(int)
        return f"<LectureFigure {w}x{h} px with {len(self.axes)} Axes>"


def new_figure(
    ncols: int = 1, nrows: int = 1, width: float = 4.0, height: float = 3.4
) -> tuple[LectureFigure, np.ndarray]:
    """A LectureFigure with an (nrows, ncols) grid of Axes, each ``width`` x ``height`` inches.

    Returns the figure and its Axes as a flat array, row by row. Draw into it inside
    :func:`lecture_style` (``DemoResult.figure`` does) so every text takes the lecture's sizes.
    """
    with lecture_style():
        fig = LectureFigure(figsize=(width * ncols, height * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes.ravel()

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
>>> wrap_to("a title far too long for a narrow panel", inches=2.5, pt=14)
'a title far too long\\nfor a narrow panel'
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chainrule.viz.style import LECTURE_STYLE, SLIDE_INCHES, TITLE_PT

__all__ = ["LectureFigure", "lecture_style", "new_figure", "panel_title", "wrap_to"]


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
    A figure larger than a slide (:data:`~chainrule.viz.style.SLIDE_INCHES`) would be shrunk
    on the projector, and its 12 pt with it, so it is refused.
    """
    size = (width * ncols, height * nrows)
    if size[0] > SLIDE_INCHES[0] + 1e-9 or size[1] > SLIDE_INCHES[1] + 1e-9:
        raise ValueError(
            f"new_figure: {size[0]:g} x {size[1]:g} inches is larger than a slide "
            f"({SLIDE_INCHES[0]:g} x {SLIDE_INCHES[1]:g}); use smaller panels or fewer columns"
        )
    with lecture_style():
        fig = LectureFigure(figsize=size, layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes.ravel()


def wrap_to(text: str, inches: float, pt: float = TITLE_PT) -> str:
    """Break ``text`` between words so each line fits ``inches`` at ``pt`` points.

    A glyph of the default sans-serif font averages about 0.55 em; a title wider than its
    panel would run into the next one or off the figure's edge.
    """
    per_line = max(8, int(inches * 72 / (0.55 * pt)))
    return "\n".join(
        textwrap.fill(line, per_line, break_long_words=False, break_on_hyphens=False)
        for line in text.split("\n")
    )


def panel_title(ax: Axes, title: str) -> None:
    """Set ``ax``'s title, broken between words so it fits the panel's width."""
    inches = ax.get_position().width * ax.get_figure().get_figwidth()
    ax.set_title(wrap_to(title, inches))

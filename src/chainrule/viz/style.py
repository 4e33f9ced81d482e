"""The one lecture style behind every chainrule figure: font sizes for the back row.

A figure is read from the back of a lecture hall, so its text must be big at the size the
figure is *saved*, not only on a laptop screen. :data:`LECTURE_STYLE` is the one set of font
sizes every plot uses (titles 14 pt, labels 13 pt, ticks, legends and annotations 12 pt).

Why those numbers hold on a projector: a figure is at most :data:`SLIDE_INCHES` (12.8 x 7.2
inches), which at :data:`DPI` (100) is a 1280 x 720 slide, so it is never shrunk to fit one and
12 pt stays about 17 px on the wall. Sizes are in points, so saving at a higher ``dpi`` scales
text, lines and markers together: the pixels grow, the picture keeps its proportions.
``chainrule.viz.figure`` applies the style; ``tests/test_figures.py`` checks every figure.

This module imports nothing heavy: the graph drawing reads its sizes here without importing
matplotlib until it draws.

>>> LECTURE_STYLE["axes.titlesize"] >= 14 and MIN_TEXT_PT >= 12
True
>>> [round(inches * DPI) for inches in SLIDE_INCHES]
[1280, 720]
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ANNOTATION_PT",
    "DPI",
    "LABEL_PT",
    "LECTURE_STYLE",
    "MIN_TEXT_PT",
    "SLIDE_INCHES",
    "TITLE_PT",
]

#: The largest figure, in inches: a 16:9 slide 1280 px wide at :data:`DPI`.
SLIDE_INCHES = (12.8, 7.2)
#: Pixels per inch when nothing else is asked (notebooks, ``chainrule demo --out``).
DPI = 100

#: Axes titles (about 19 px at 100 dpi); a figure's own title is 2 pt larger.
TITLE_PT = 14.0
#: Axis labels.
LABEL_PT = 13.0
#: Numbers written into a plot (bar values, matrix counts, table cells) and legends.
ANNOTATION_PT = 12.0
#: Nothing in a chainrule figure is smaller than this (the tests check every text artist).
MIN_TEXT_PT = 12.0

#: The rcParams behind every chainrule figure. matplotlib resolves some sizes when an artist is
#: made (titles, labels) and some only when it is drawn (ticks), so the style is applied both
#: while a figure is built and while it is saved (see ``chainrule.viz.figure``).
LECTURE_STYLE: dict[str, Any] = {
    "font.size": ANNOTATION_PT,
    "axes.titlesize": TITLE_PT,
    "axes.labelsize": LABEL_PT,
    "xtick.labelsize": MIN_TEXT_PT,
    "ytick.labelsize": MIN_TEXT_PT,
    "legend.fontsize": ANNOTATION_PT,
    "legend.title_fontsize": ANNOTATION_PT,
    "figure.titlesize": TITLE_PT + 2,
    "lines.linewidth": 2.0,
    "lines.markersize": 6.0,
    "axes.linewidth": 1.0,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    # SVG text stays text (searchable, crisp when scaled), not glyph outlines.
    "svg.fonttype": "none",
}

"""Plot helpers shared by the demos: figures without pyplot's global state.

Every helper draws into an ``Axes`` it is given, so a demo lays out its own figure and a
notebook can reuse the panels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from chainrule.viz.figure import LectureFigure, new_figure

#: One colour per class (colour-blind safe: Okabe-Ito).
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")


def figure(
    ncols: int = 1, nrows: int = 1, width: float = 4.0, height: float = 3.4
) -> tuple[LectureFigure, np.ndarray]:
    """A lecture-style figure with an (nrows, ncols) grid of Axes, each ``width`` x ``height`` inches."""
    return new_figure(ncols, nrows, width, height)


def scatter_classes(ax: Axes, X: np.ndarray, y: np.ndarray, size: float = 12) -> None:
    """Points coloured by class label."""
    for k in np.unique(y):
        pts = X[y == k]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            color=CLASS_COLOURS[int(k) % len(CLASS_COLOURS)],
            edgecolors="k",
            linewidths=0.3,
            label=f"class {int(k)}",
        )


def decision_regions(
    ax: Axes,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    title: str = "",
    resolution: int = 150,
    margin: float = 0.3,
    size: float = 12,
) -> None:
    """Shade the plane by predicted class and draw the data on top.

    ``predict`` maps an (n, 2) float32 array to (n,) integer class labels.
    """
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    labels = np.asarray(predict(grid)).reshape(gx.shape)
    k = int(max(labels.max(), y.max())) + 1
    cmap = ListedColormap([CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(k)])
    ax.contourf(gx, gy, labels, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)
    scatter_classes(ax, X, y, size)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def per_layer(
    ax: Axes,
    series: Mapping[str, Sequence[float]],
    ylabel: str,
    log: bool = True,
    title: str = "",
    xlabel: str = "layer (1 = input side)",
) -> None:
    """Per-layer values, layer 1 first, one marker line per named series."""
    for label, ys in series.items():
        ys = np.asarray(ys, dtype=float)
        ax.plot(np.arange(1, len(ys) + 1), ys, marker="o", ms=4, lw=1.2, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")

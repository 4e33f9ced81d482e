"""Plot helpers shared by the demos: figures without pyplot's global state.

Every helper draws into an ``Axes`` it is given, so a demo lays out its own figure and a
notebook can reuse the panels. Sizes come from the lecture style (``chainrule.viz.style``):
no helper sets a font size of its own, and titles are wrapped to their panel's width.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, ListedColormap

from chainrule.viz.figure import LectureFigure, new_figure, panel_title

__all__ = [
    "CLASS_COLOURS",
    "decision_regions",
    "figure",
    "panel_title",
    "per_layer",
    "probability_regions",
    "scatter_classes",
]

#: One colour per class (colour-blind safe: Okabe-Ito).
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")


def figure(
    ncols: int = 1, nrows: int = 1, width: float = 4.0, height: float = 3.4
) -> tuple[LectureFigure, np.ndarray]:
    """A lecture-style figure with an (nrows, ncols) grid of Axes, each ``width`` x ``height`` inches."""
    return new_figure(ncols, nrows, width, height)


def scatter_classes(ax: Axes, X: np.ndarray, y: np.ndarray, size: float = 20) -> None:
    """Points coloured by class label."""
    for k in np.unique(y):
        pts = X[y == k]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            color=CLASS_COLOURS[int(k) % len(CLASS_COLOURS)],
            edgecolors="k",
            linewidths=0.5,
            label=f"class {int(k)}",
        )


def _grid(
    X: np.ndarray, resolution: int, margin: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    return gx, gy, np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def _plane_axes(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool | str) -> None:
    panel_title(ax, title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(loc=legend if isinstance(legend, str) else "best", framealpha=0.9)


def decision_regions(
    ax: Axes,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    title: str = "",
    resolution: int = 150,
    margin: float = 0.3,
    size: float = 20,
    xlabel: str = "x₁",
    ylabel: str = "x₂",
    legend: bool | str = False,
) -> None:
    """Shade the plane by predicted class and draw the data on top.

    ``predict`` maps an (n, 2) float32 array to (n,) integer class labels. The axes keep their
    ticks and names (the plane is the input space, and its scale is part of the story);
    ``legend=True`` adds the class legend (a string places it: ``"center"``).
    """
    gx, gy, grid = _grid(X, resolution, margin)
    labels = np.asarray(predict(grid)).reshape(gx.shape)
    k = int(max(labels.max(), y.max())) + 1
    cmap = ListedColormap([CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(k)])
    ax.contourf(gx, gy, labels, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)
    scatter_classes(ax, X, y, size)
    _plane_axes(ax, title, xlabel, ylabel, legend)


def probability_regions(
    ax: Axes,
    proba: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    title: str = "",
    resolution: int = 150,
    margin: float = 0.3,
    size: float = 20,
    xlabel: str = "x₁",
    ylabel: str = "x₂",
    legend: bool | str = False,
) -> None:
    """Shade the plane by P(class 1) of a two-class model, with its 0.5 line, and the data.

    Where the two logits are nearly tied the predicted *class* flips from pixel to pixel
    (a moiré of rounding noise); the probability is smooth and shows the tie honestly. The
    0.5 line is drawn only where the probability really crosses it (by more than ``0.01``),
    not where float32 noise does.
    """
    gx, gy, grid = _grid(X, resolution, margin)
    p = np.asarray(proba(grid), dtype=float).reshape(gx.shape)
    cmap = LinearSegmentedColormap.from_list(
        "classes", [CLASS_COLOURS[0], "#ffffff", CLASS_COLOURS[1]]
    )
    # A continuous image, not filled contours: a level boundary at 0.5 would itself flicker.
    ax.imshow(
        p,
        extent=(gx.min(), gx.max(), gy.min(), gy.max()),
        origin="lower",
        aspect="auto",
        cmap=cmap,
        vmin=0,
        vmax=1,
        alpha=0.45,
        interpolation="bilinear",
    )
    if p.min() < 0.49 and p.max() > 0.51:
        ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.0, linestyles="--")
    scatter_classes(ax, X, y, size)
    _plane_axes(ax, title, xlabel, ylabel, legend)


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
        ax.plot(np.arange(1, len(ys) + 1), ys, marker="o", ms=5, lw=1.8, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    panel_title(ax, title)
    ax.legend()
    ax.grid(alpha=0.3, which="both")

"""Training plots: loss and accuracy curves (train vs val), and a confusion matrix, as PNG files.

Each function builds a :class:`~chainrule.viz.figure.LectureFigure` directly (no ``pyplot``, so
no global figure state and no GUI backend; it shows itself inline in a notebook) and returns
it; with ``path`` it is also written, atomically.

>>> history = [{"epoch": 1, "train_loss": 0.9, "train_acc": 0.7, "val_loss": 0.8, "val_acc": 0.75},
...            {"epoch": 2, "train_loss": 0.5, "train_acc": 0.85, "val_loss": 0.6, "val_acc": 0.8}]
>>> fig = plot_curves(history)
>>> [ax.get_title() for ax in fig.axes]
['loss (cross-entropy)', 'accuracy']
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from chainrule._io import atomic_path
from chainrule.viz.figure import LectureFigure, lecture_style, panel_title, wrap_to
from chainrule.viz.style import DPI, SLIDE_INCHES, TITLE_PT

__all__ = ["draw_series", "plot_curves", "plot_confusion", "save_png"]


def save_png(fig: Figure, path: str | os.PathLike[str], dpi: int = DPI) -> None:
    """Write ``fig`` to ``path`` as PNG via a temporary file, so a crash never leaves half a picture."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)  # format given: the temporary name ends in .tmp


def draw_series(
    ax: Axes,
    series: Mapping[str, Sequence[float | None]],
    x: Sequence[float] | None = None,
    xlabel: str = "step",
    ylabel: str = "loss",
    log: bool = False,
    title: str = "",
    marker: str | None = None,
) -> None:
    """One line per named series on ``ax``; None values (not measured) leave a gap.

    ``x`` defaults to 0, 1, 2, ...; every curve in chainrule (training history, the demos'
    loss curves) is drawn by this one function.
    """
    for label, ys in series.items():
        ys = np.array([np.nan if v is None else v for v in ys], dtype=float)
        xs = np.arange(len(ys)) if x is None else np.asarray(x)[: len(ys)]
        ax.plot(xs, ys, label=label, lw=1.8, marker=marker, markersize=5)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    panel_title(ax, title)
    ax.legend()
    ax.grid(alpha=0.3)


def plot_curves(
    history: Sequence[Mapping[str, Any]],
    path: str | os.PathLike[str] | None = None,
    title: str = "",
) -> Figure:
    """Plot loss and accuracy per epoch, train vs validation (validation only where it was measured).

    ``history`` is one dict per epoch with ``epoch``, ``train_loss``, ``train_acc`` and
    optionally ``val_loss``/``val_acc`` (None when there was no validation split).
    """
    with lecture_style():
        return _draw_curves(history, path, title)


def _draw_curves(
    history: Sequence[Mapping[str, Any]], path: str | os.PathLike[str] | None, title: str
) -> Figure:
    fig = LectureFigure(figsize=(12.0, 5.0), layout="constrained")
    epochs = [row["epoch"] for row in history]
    for ax, key, name in zip(
        fig.subplots(1, 2), ("loss", "acc"), ("loss (cross-entropy)", "accuracy")
    ):
        series = {"train": [row[f"train_{key}"] for row in history]}
        if any(row.get(f"val_{key}") is not None for row in history):
            series["val"] = [row.get(f"val_{key}") for row in history]
        draw_series(ax, series, x=epochs, xlabel="epoch", ylabel="", title=name, marker="o")
    if title:
        fig.suptitle(title)
    if path is not None:
        save_png(fig, path)
    return fig


def plot_confusion(
    matrix: np.ndarray,
    classes: Sequence[str],
    path: str | os.PathLike[str] | None = None,
    title: str = "",
) -> Figure:
    """Draw the confusion matrix (rows true, columns predicted) with its counts in the cells.

    >>> fig = plot_confusion(np.array([[5, 1], [0, 4]]), ["cat", "dog"])
    >>> fig.axes[0].get_xlabel()
    'predicted'
    """
    with lecture_style():
        return _draw_confusion(matrix, classes, path, title)


def _draw_confusion(
    matrix: np.ndarray,
    classes: Sequence[str],
    path: str | os.PathLike[str] | None,
    title: str,
) -> Figure:
    k = len(classes)
    # Cells wide enough for a 4-digit count at 12 pt, plus room for the class names and the
    # colour bar; a 2-class matrix still gets a figure its title fits across.
    width = min(SLIDE_INCHES[0], 4.5 + 0.5 * k)
    fig = LectureFigure(figsize=(width, min(SLIDE_INCHES[1], 2.6 + 0.45 * k)), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ticks = np.arange(k)
    ax.set_xticks(ticks, [str(i) for i in ticks])
    ax.set_yticks(
        ticks, [f"{name} ({i})" if name != str(i) else name for i, name in enumerate(classes)]
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        # white text on dark cells, black on light ones
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            color="white" if count > threshold else "black",
        )
    if title:
        fig.suptitle(wrap_to(title, width - 0.3, TITLE_PT + 2))  # across the colour bar too
    if path is not None:
        save_png(fig, path)
    return fig

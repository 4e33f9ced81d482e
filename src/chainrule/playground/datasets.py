"""The playground's points: the toy sets by name, the instructor's CSV, and the train/val split.

All sets are scaled to lie roughly in [-1.5, 1.5]², the box the page draws, so a click lands
where the student sees it. A CSV is read with a size limit before parsing, and every bad line is
reported by number.

>>> X, y = make_points("circles", 100, noise=0.05, seed=0)
>>> X.shape, sorted(set(y.tolist()))
((100, 2), [0, 1])
"""

from __future__ import annotations

import numpy as np

from chainrule.data.synthetic import make_blobs, make_circles, make_moons, make_spirals, make_xor

__all__ = ["CSVError", "make_points", "parse_csv", "split", "BOX", "MAX_CSV_BYTES"]

#: The drawn square: the data's coordinates run over [-BOX, BOX] on both axes.
BOX = 1.5
MAX_CSV_BYTES = 200_000
MAX_CSV_ROWS = 2000


class CSVError(ValueError):
    """An uploaded CSV that cannot be used: one line naming the row and the problem."""


def make_points(
    name: str, n: int, noise: float, seed: int, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Make one of the toy sets, scaled into the drawn box: X (n, 2) float32, y (n,) int64."""
    if name == "xor":
        X, y = make_xor(n, noise=noise, seed=seed)
    elif name == "moons":
        X, y = make_moons(n, noise=noise, seed=seed)
        X = (X - np.array([0.5, 0.25], dtype=np.float32)) / 1.2  # centred, about [-1.2, 1.2]
    elif name == "circles":
        X, y = make_circles(n, noise=noise, seed=seed)
    elif name == "spiral":
        X, y = make_spirals(n, n_classes=classes, noise=noise, seed=seed)
        X = X * 1.2
    elif name == "blobs":
        # Centres kept well inside the box; the noise slider is the clusters' spread.
        X, y = make_blobs(n, centers=classes, noise=0.3 * noise + 0.05, seed=seed, box=(-1.0, 1.0))
    else:
        raise ValueError(f"unknown data set {name!r}")
    return np.clip(X, -BOX, BOX).astype(np.float32), y.astype(np.int64)


def parse_csv(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Read ``x,y,label`` rows (a header line is allowed) into points; labels must be 0..4.

    >>> X, y = parse_csv("x,y,label\\n0.5,-1,0\\n1,1,1\\n0,0,0\\n-1,1,1\\n")
    >>> X.tolist()[:2], y.tolist()
    ([[0.5, -1.0], [1.0, 1.0]], [0, 1, 0, 1])
    """
    if len(text.encode("utf-8", "replace")) > MAX_CSV_BYTES:
        raise CSVError(
            f"the CSV is larger than {MAX_CSV_BYTES // 1000} kB; use at most {MAX_CSV_ROWS} rows"
        )
    rows: list[tuple[float, float, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.replace(";", ",").split(",")]
        if len(cells) != 3:
            raise CSVError(f"CSV line {number}: expected 3 columns x,y,label, got {len(cells)}")
        try:
            x, yy, label = float(cells[0]), float(cells[1]), float(cells[2])
        except ValueError:
            if not rows and number == 1:  # a header
                continue
            raise CSVError(f"CSV line {number}: {line[:40]!r} is not three numbers") from None
        if not (np.isfinite(x) and np.isfinite(yy)):
            raise CSVError(f"CSV line {number}: coordinates must be finite numbers")
        if not label.is_integer() or not 0 <= label <= 4:
            raise CSVError(f"CSV line {number}: the label must be a class 0..4, got {cells[2]}")
        rows.append((x, yy, int(label)))
        if len(rows) > MAX_CSV_ROWS:
            raise CSVError(f"the CSV has more than {MAX_CSV_ROWS} rows")
    if len(rows) < 4:
        raise CSVError(f"the CSV needs at least 4 points, got {len(rows)}")
    data = np.array([r[:2] for r in rows], dtype=np.float64)
    labels = np.array([r[2] for r in rows], dtype=np.int64)
    # Fit the points into the drawn box, keeping their shape (one scale for both axes).
    span = np.abs(data).max()
    if span > BOX:
        data = data * (BOX / span)
    return data.astype(np.float32), labels


def split(n: int, val: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train and validation indices; the validation part is ``round(val * n)`` points.

    >>> tr, va = split(10, 0.2, seed=0)
    >>> len(tr), len(va), sorted([*tr, *va]) == list(range(10))
    (8, 2, True)
    """
    order = np.random.default_rng(seed + 1).permutation(n)
    n_val = min(int(round(val * n)), n - 2)
    return np.sort(order[n_val:]), np.sort(order[:n_val])

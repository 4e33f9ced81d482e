"""Small 2-D classification sets for the demos: XOR, moons, circles, spirals, blobs.

Every maker takes ``n_samples``, ``noise`` and ``seed`` (same seed, same points) and returns
``X`` (n, 2) float32 and ``y`` (n,) int64 with labels 0..K-1, in a seeded random order (so a
loader without shuffling still sees mixed classes). Classes get ``n // K`` points each, and the
first ``n % K`` classes one more. Unlike ``chainrule.demos.scalar_moons.make_moons`` (micrograd's
demo, labels -1/+1, float64), these follow ``cross_entropy``'s conventions.

>>> X, y = make_spirals(300, n_classes=3, seed=0)
>>> X.shape, X.dtype, y.dtype, np.bincount(y).tolist()
((300, 2), dtype('float32'), dtype('int64'), [100, 100, 100])
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_xor", "make_moons", "make_circles", "make_spirals", "make_blobs"]


def _class_sizes(n_samples: int, n_classes: int) -> list[int]:
    """Split n_samples into n_classes near-equal counts, the first ``n % K`` classes one larger."""
    if n_samples < 0 or n_classes < 1:
        raise ValueError(
            f"need n_samples >= 0 and n_classes >= 1, got n_samples={n_samples}, n_classes={n_classes}"
        )
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def _finish(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle rows (seeded) and cast: X (n, 2) float32, y (n,) int64."""
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def make_xor(
    n_samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]², label 1 where exactly one coordinate is positive (XOR of signs).

    Gaussian noise of std ``noise`` moves the points after labelling, so some cross the axes.
    No line separates the classes: the smallest problem that needs a hidden layer.

    >>> X, y = make_xor(4, noise=0.0, seed=1)
    >>> bool(np.all(y == ((X[:, 0] > 0) ^ (X[:, 1] > 0))))
    True
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = (X[:, 0] > 0) ^ (X[:, 1] > 0)
    X += rng.normal(scale=noise, size=X.shape)
    return _finish(X, y, rng)


def make_moons(
    n_samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 on (cos t, sin t), class 1 on (1 - cos t, 1/2 - sin t).

    ``t`` is evenly spaced over [0, π]; then Gaussian noise of std ``noise`` is added (as
    scikit-learn's ``make_moons``).

    >>> X, y = make_moons(100, noise=0.0, seed=0)
    >>> bool(np.allclose(np.hypot(*X[y == 0].T), 1.0))  # class 0 lies on the unit circle
    True
    """
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n_samples, 2)
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n1)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)]
    )
    y = np.repeat([0, 1], [n0, n1])
    X += rng.normal(scale=noise, size=X.shape)
    return _finish(X, y, rng)


def make_circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` (0 < factor < 1).

    Angles are evenly spaced; Gaussian noise of std ``noise`` is added to the coordinates.

    >>> X, y = make_circles(8, noise=0.0, factor=0.25, seed=0)
    >>> np.hypot(*X[y == 1].T).round(2).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n_samples, 2)
    t0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate(
        [np.stack([np.cos(t0), np.sin(t0)], 1), factor * np.stack([np.cos(t1), np.sin(t1)], 1)]
    )
    y = np.repeat([0, 1], [n0, n1])
    X += rng.normal(scale=noise, size=X.shape)
    return _finish(X, y, rng)


def make_spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms from the origin (the CS231n "spiral" set).

    Arm k: radius r from 0 to 1, angle from 4k to 4(k+1) radians plus Gaussian noise of std
    ``noise``, point ``r (sin θ, cos θ)``. Here the noise is on the *angle*, so it grows with the
    radius and the centre stays clean, as in the original.

    >>> X, y = make_spirals(6, n_classes=2, noise=0.0, seed=0)
    >>> float(np.hypot(*X.T).max())  # the arms end on the unit circle
    1.0
    """
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(n_samples, n_classes)
    parts = []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), m) + rng.normal(scale=noise, size=m)
        parts.append(r[:, None] * np.stack([np.sin(theta), np.cos(theta)], 1))
    X = np.concatenate(parts) if parts else np.zeros((0, 2))
    y = np.repeat(np.arange(n_classes), sizes)
    return _finish(X, y, rng)


def make_blobs(
    n_samples: int = 200,
    centers: int | np.ndarray = 3,
    noise: float = 1.0,
    seed: int = 0,
    box: tuple[float, float] = (-10.0, 10.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters: class k is ``centers[k] + noise * N(0, I)``.

    ``centers`` is a (K, 2) array, or a count K of centres drawn uniformly in ``box``² (as
    scikit-learn's ``make_blobs``, where ``noise`` is called ``cluster_std``).

    >>> X, y = make_blobs(6, centers=np.array([[0.0, 0.0], [5.0, 5.0]]), noise=0.0)
    >>> X[y == 1].tolist()
    [[5.0, 5.0], [5.0, 5.0], [5.0, 5.0]]
    """
    rng = np.random.default_rng(seed)
    if np.ndim(centers) == 0:
        centers = rng.uniform(box[0], box[1], size=(int(centers), 2))
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2:
        raise ValueError(f"make_blobs: centers must have shape (K, 2), got {centers.shape}")
    sizes = _class_sizes(n_samples, len(centers))
    y = np.repeat(np.arange(len(centers)), sizes)
    X = centers[y] + rng.normal(scale=noise, size=(n_samples, 2))
    return _finish(X, y, rng)

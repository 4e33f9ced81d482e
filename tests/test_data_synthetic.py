"""chainrule.data.synthetic: the 2-D demo sets are seeded, balanced, typed and shaped as documented."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import chainrule.data.synthetic as synthetic_module
from chainrule.data import make_blobs, make_circles, make_moons, make_spirals, make_xor

MAKERS = {
    "xor": (make_xor, 2),
    "moons": (make_moons, 2),
    "circles": (make_circles, 2),
    "spirals": (make_spirals, 3),
    "blobs": (make_blobs, 3),
}


def test_doctests():
    assert doctest.testmod(synthetic_module).failed == 0


@pytest.mark.parametrize("name", MAKERS)
@pytest.mark.parametrize("n", [0, 1, 7, 200])
def test_shapes_dtypes_and_labels(name, n):
    make, k = MAKERS[name]
    X, y = make(n_samples=n, seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(y.tolist()) <= set(range(k))
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "blobs"])
def test_classes_are_balanced(name):
    make, k = MAKERS[name]
    X, y = make(n_samples=100, seed=0)
    counts = np.bincount(y, minlength=k)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 100
    assert counts.tolist() == sorted(
        counts.tolist(), reverse=True
    )  # the extra points go to the first classes


@pytest.mark.parametrize("name", MAKERS)
def test_seeded(name):
    make, _ = MAKERS[name]
    X1, y1 = make(n_samples=50, seed=3)
    X2, y2 = make(n_samples=50, seed=3)
    X3, _ = make(n_samples=50, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", MAKERS)
def test_rows_are_shuffled(name):
    _, y = MAKERS[name][0](n_samples=60, seed=0)
    assert (np.diff(y) != 0).sum() > 5  # not one block per class


def test_noise_free_geometry():
    X, y = make_xor(500, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))
    X, y = make_circles(100, noise=0.0, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X.T), np.where(y == 0, 1.0, 0.3), rtol=1e-6)
    X, y = make_moons(100, noise=0.0, seed=0)
    np.testing.assert_allclose(
        np.hypot(*(X[y == 1] - [1.0, 0.5]).T), 1.0, rtol=1e-6
    )  # class 1: unit circle around (1, 1/2)
    X, y = make_spirals(300, n_classes=3, noise=0.0, seed=0)
    assert np.hypot(*X.T).max() == pytest.approx(1.0)


def test_noise_is_the_std_of_the_displacement():
    X0, y0 = make_circles(4000, noise=0.0, seed=0)
    X1, y1 = make_circles(4000, noise=0.1, seed=0)
    # Same seed, same shuffle: the rows line up, so the difference is exactly the noise.
    np.testing.assert_array_equal(y0, y1)
    assert np.std(X1 - X0) == pytest.approx(0.1, rel=0.05)


def test_blobs_with_given_centers_are_near_them():
    centers = np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 8.0]])
    X, y = make_blobs(300, centers=centers, noise=0.5, seed=1)
    nearest = np.argmin(((X[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
    assert (nearest == y).mean() > 0.99
    X, y = make_blobs(40, centers=4, seed=0)
    assert set(y.tolist()) == {0, 1, 2, 3}


def test_spirals_with_more_classes():
    _, y = make_spirals(250, n_classes=5, seed=0)
    assert np.bincount(y).tolist() == [50] * 5


def test_invalid_arguments():
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\)"):
        make_circles(10, factor=1.5)
    with pytest.raises(ValueError, match=r"centers must have shape \(K, 2\)"):
        make_blobs(10, centers=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="n_classes >= 1"):
        make_spirals(10, n_classes=0)

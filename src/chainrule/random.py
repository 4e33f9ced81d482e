"""The one global random generator behind ``randn``, ``rand``, ``dropout`` and ``nn.init``.

``manual_seed(n)`` replaces it with ``numpy.random.default_rng(n)``, so a seeded script draws the
same numbers every run (NumPy's streams, not torch's: the same seed gives different numbers).

>>> _ = manual_seed(0); a = generator().random()
>>> _ = manual_seed(0); a == generator().random()
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "generator"]

_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the global generator to ``seed`` and return it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """Return the current global generator (look it up on each use: manual_seed replaces it)."""
    return _generator

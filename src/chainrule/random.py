"""The one global random generator behind ``randn``, ``rand``, ``dropout`` and ``nn.init``.

``manual_seed(n)`` replaces it with ``numpy.random.default_rng(n)``, so a seeded script draws the
same numbers every run (NumPy's streams, not torch's: the same seed gives different numbers).

>>> _ = manual_seed(0); a = generator().random()
>>> _ = manual_seed(0); a == generator().random()
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "Generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "generator",
    "get_rng_state",
    "set_rng_state",
    "numpy_generator",
]

_generator: np.random.Generator = np.random.default_rng()
_initial_seed: int | None = None


class Generator:
    """A random generator of its own, for ``generator=`` arguments (``torch.Generator``).

    >>> g = Generator().manual_seed(0)
    >>> a = g.numpy_generator.random(); _ = g.manual_seed(0); a == g.numpy_generator.random()
    True
    """

    def __init__(self, device: str = "cpu") -> None:
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        self.numpy_generator = np.random.default_rng(self._seed)
        self.device = device

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self.numpy_generator = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.numpy_generator.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self.numpy_generator.bit_generator.state = state
        return self


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the global generator to ``seed`` and return it."""
    global _generator, _initial_seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _initial_seed = int(seed)
    _generator = np.random.default_rng(_initial_seed)
    return _generator


def seed() -> int:
    """Seed the global generator from fresh entropy and return the seed."""
    s = int(np.random.SeedSequence().entropy % 2**63)
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed last given to :func:`manual_seed` (or chosen by :func:`seed`)."""
    return seed() if _initial_seed is None else _initial_seed


def generator() -> np.random.Generator:
    """Return the current global generator (look it up on each use: manual_seed replaces it)."""
    return _generator


def get_rng_state() -> dict:
    """The global generator's state, to restore later with :func:`set_rng_state`.

    Differs from PyTorch: a dict (NumPy's bit-generator state), not a uint8 tensor."""
    return _generator.bit_generator.state


def set_rng_state(new_state: dict) -> None:
    """Restore a state saved with :func:`get_rng_state`."""
    _generator.bit_generator.state = new_state


def numpy_generator(generator: Any = None) -> np.random.Generator:
    """The NumPy generator behind a ``generator=`` argument: a :class:`Generator`'s own, a NumPy
    generator as given, or (None) the global one, looked up now (``manual_seed`` replaces it)."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator.numpy_generator
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"generator must be a chainrule.Generator or numpy.random.Generator, got "
        f"{type(generator).__name__}"
    )

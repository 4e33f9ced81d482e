"""``chainrule.cuda``: there is no GPU here, and course code can ask.

The usual first cell, ``device = 'cuda' if torch.cuda.is_available() else 'cpu'``, picks the
CPU; seeding the GPU is a no-op. Anything that would need a GPU says so by name.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize"]


def is_available() -> bool:
    """False: chainrule computes with NumPy on the CPU."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """No GPU, nothing to seed (``chainrule.manual_seed`` seeds the CPU generator)."""


def manual_seed_all(seed: int) -> None:
    """No GPU, nothing to seed."""


def synchronize(device: Any = None) -> None:
    """Nothing runs asynchronously here."""


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"chainrule.cuda.{name}: chainrule has no GPU; write device-independent code "
        f"(device = 'cuda' if torch.cuda.is_available() else 'cpu')"
    )

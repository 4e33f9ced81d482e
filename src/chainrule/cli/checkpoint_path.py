"""``--checkpoint`` of ``chainrule eval`` and ``predict``: a file, a run directory, or ``latest``.

Left out, or given as ``latest`` (PyTorch Lightning's ``ckpt_path="last"`` in spirit), it is
the checkpoint of the newest run under ``./runs``, the folder ``chainrule train`` writes its
runs into; the command prints which one it took. A run directory stands for the
``checkpoint.npz`` inside it.

>>> import pathlib, tempfile
>>> runs = pathlib.Path(tempfile.mkdtemp())
>>> (runs / "a").mkdir(); _ = (runs / "a" / "checkpoint.npz").write_bytes(b"")
>>> resolve_checkpoint("latest", runs) == runs / "a" / "checkpoint.npz"
True
"""

from __future__ import annotations

import os
from pathlib import Path

from chainrule.cli.errors import CLIError

__all__ = ["LATEST", "RUNS", "resolve_checkpoint"]

LATEST = "latest"
RUNS = Path("runs")  # where `chainrule train` puts a run when --out is not given
_CHECKPOINT = "checkpoint.npz"  # training.loop.CHECKPOINT, without importing training here


def resolve_checkpoint(given: str | None, runs: str | os.PathLike[str] = RUNS) -> Path:
    """The checkpoint file ``given`` names: itself, ``DIR/checkpoint.npz``, or the newest run's."""
    if given is None or given == LATEST:
        return _latest(Path(runs))
    path = Path(given)
    if path.is_dir():
        if not (path / _CHECKPOINT).is_file():
            raise CLIError(f"--checkpoint {path} is a directory without a {_CHECKPOINT}")
        return path / _CHECKPOINT
    return path  # a missing or broken file is the checkpoint loader's to name (exit status 1)


def _latest(runs: Path) -> Path:
    found = sorted(
        (p.stat().st_mtime, str(p), p) for p in runs.glob(f"*/{_CHECKPOINT}") if p.is_file()
    )
    if not found:
        raise CLIError(
            f"no run with a {_CHECKPOINT} under {runs}/ to take as the latest; "
            "train one (chainrule train) or pass --checkpoint FILE"
        )
    return found[-1][2]

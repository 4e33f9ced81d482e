"""Checkpoints as plain ``.npz`` files: a model, its optimizer and JSON metadata, with no pickle.

One array per state_dict entry, named by where it lives::

    model.0.weight                    (256, 784) float32   the model's state_dict keys
    optim.state.0.momentum_buffer     (256, 784) float32   optimizer state, torch's layout
    optim.state.0.step                ()         int64     (Adam: exp_avg, exp_avg_sq, step)
    meta                              ()         <U...     JSON: config, epoch, RNG states,
                                                           optimizer param_groups, history

Everything is a number array or a 0-d unicode string, so ``np.load(path, allow_pickle=False)``
reads it: loading a checkpoint never runs code (``torch.load`` unpickles, which can). A write
goes to a temporary file that is renamed into place, so a crash mid-write leaves the previous
checkpoint intact.

>>> import tempfile, os
>>> from chainrule import nn, optim
>>> model = nn.Linear(2, 1)
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> save_checkpoint(path, model, optim.SGD(model.parameters(), lr=0.1), {"epoch": 3})
>>> ckpt = load_checkpoint(path)
>>> sorted(ckpt.model_state), ckpt.meta["epoch"]
(['bias', 'weight'], 3)
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from chainrule._io import atomic_path
from chainrule.nn.module import Module
from chainrule.optim.optimizer import Optimizer

__all__ = ["Checkpoint", "CheckpointError", "save_checkpoint", "load_checkpoint", "FORMAT"]

#: Written into every checkpoint's metadata; a file without it is not ours.
FORMAT = "chainrule-checkpoint-1"
_MODEL, _OPTIM = "model.", "optim.state."


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or does not fit: a one-line reason naming the file."""


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` returns: the model's state_dict (arrays), the optimizer's (torch
    layout, or None if none was saved) and the metadata dict."""

    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, Any] | None
    meta: dict[str, Any]


def _write_npz(file: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays as an uncompressed .npz (its own function so tests can make it fail)."""
    np.savez(file, **arrays)


def save_checkpoint(
    path: str | os.PathLike[str], model: Module, optimizer: Optimizer | None, meta: dict[str, Any]
) -> None:
    """Write ``model``'s state_dict, ``optimizer``'s state and ``meta`` (JSON-able) to ``path``, atomically.

    The optimizer's ``param_groups`` (hyperparameters) go into the metadata under
    ``"optimizer_param_groups"``; its per-parameter state becomes ``optim.state.<i>.<name>`` arrays.
    """
    arrays: dict[str, np.ndarray] = {_MODEL + k: v.numpy() for k, v in model.state_dict().items()}
    meta = dict(meta, format=FORMAT)
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, entries in state["state"].items():
            for name, value in entries.items():
                arrays[f"{_OPTIM}{index}.{name}"] = np.asarray(
                    value
                )  # a step count becomes a 0-d array
        meta["optimizer_param_groups"] = state["param_groups"]
    arrays["meta"] = np.array(json.dumps(meta))  # 0-d unicode: loads without pickle
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it the checkpoint


def _group_from_json(group: dict[str, Any]) -> dict[str, Any]:
    # JSON turns tuples (Adam's betas) into lists; give them back as torch keeps them.
    return {k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in group.items()}


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; raise ``CheckpointError`` if it is not one.

    Catches what a truncated, foreign or hand-edited file can do (not a zip, a pickled array, no
    metadata, bad JSON, stray keys) and reports it in one line naming ``path``. Whether the
    arrays fit a model is checked when they are loaded into it.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
        raise CheckpointError(
            f"{path}: not a readable checkpoint (truncated or not a .npz file: {e})"
        ) from None
    if "meta" not in arrays:
        raise CheckpointError(f"{path}: no 'meta' entry, so not a chainrule checkpoint")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (json.JSONDecodeError, TypeError) as e:
        raise CheckpointError(f"{path}: its metadata is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise CheckpointError(f"{path}: not a {FORMAT} file (metadata format {found!r})")

    model_state: dict[str, np.ndarray] = {}
    optim_state: dict[int, dict[str, Any]] = {}
    for name, value in arrays.items():
        if name.startswith(_MODEL):
            model_state[name[len(_MODEL) :]] = value
        elif name.startswith(_OPTIM):
            index, _, field = name[len(_OPTIM) :].partition(".")
            if not index.isdigit() or not field:
                raise CheckpointError(f"{path}: unexpected entry {name!r}")
            # A 0-d integer (a step count) comes back as a Python int, as the optimizer made it.
            optim_state.setdefault(int(index), {})[field] = (
                value.item() if value.ndim == 0 else value
            )
        else:
            raise CheckpointError(f"{path}: unexpected entry {name!r}")
    if not model_state:
        raise CheckpointError(f"{path}: holds no model weights")
    groups = meta.pop("optimizer_param_groups", None)
    optimizer_state = None
    if groups is not None:
        optimizer_state = {
            "state": optim_state,
            "param_groups": [_group_from_json(g) for g in groups],
        }
    return Checkpoint(model_state, optimizer_state, meta)

"""The MLP the course trains, built from its sizes, and rebuilt from a training checkpoint.

>>> model = build_mlp(784, (256, 256), 10)
>>> model
Sequential(
  (0): Linear(in_features=784, out_features=256, bias=True)
  (1): ReLU()
  (2): Linear(in_features=256, out_features=256, bias=True)
  (3): ReLU()
  (4): Linear(in_features=256, out_features=10, bias=True)
)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from chainrule import nn
from chainrule.nn.mlp import build_mlp
from chainrule.training.checkpoint import CheckpointError, load_checkpoint

__all__ = ["ACTIVATIONS", "build_mlp", "LoadedModel", "load_model", "load_weights"]

#: The hidden layers' non-linearity, by its CLI name (the "none" of the demos is not offered).
ACTIVATIONS = {name: layer for name, layer in nn.ACTIVATIONS.items() if name != "none"}


@dataclass
class LoadedModel:
    """A trained model in eval mode plus what using it needs: class names, input standardisation, metadata."""

    model: nn.Sequential
    classes: tuple[str, ...]
    mean: list[float]
    std: list[float]
    meta: dict[str, Any]

    @property
    def dataset(self) -> str:
        """The data set it was trained on (its ``--dataset`` name)."""
        return self.meta["config"]["dataset"]


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Rebuild the MLP described by a ``chainrule train`` checkpoint and load its weights.

    Raises :class:`~chainrule.training.checkpoint.CheckpointError` (one line, naming the file) when the
    file is unreadable, lacks the model description, or its weights do not fit it.
    """
    ckpt = load_checkpoint(path)
    if "config" not in ckpt.meta:  # only then has the schema checked the sizes built from below
        raise CheckpointError(f"{path}: not from chainrule train (its metadata has no config)")
    try:
        arch, data = ckpt.meta["model"], ckpt.meta["data"]
        hidden = [int(h) for h in arch["hidden"]]
        model = build_mlp(
            int(arch["input_dim"]), hidden, int(arch["n_classes"]), arch["activation"]
        )
        classes, mean, std = tuple(data["classes"]), list(data["mean"]), list(data["std"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(
            f"{path}: its metadata does not describe a model ({type(e).__name__}: {e})"
        ) from None
    load_weights(model, ckpt.model_state, path)
    return LoadedModel(model.eval(), classes, mean, std, ckpt.meta)


def load_weights(model: nn.Module, state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """``model.load_state_dict(state)``, with a mismatch reported as a one-line ``CheckpointError``."""
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as e:
        detail = " ".join(str(e).split())  # load_state_dict lists every problem on its own line
        raise CheckpointError(f"{path}: the weights do not fit the model: {detail}") from None

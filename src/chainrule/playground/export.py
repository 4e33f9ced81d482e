"""The current run, exported: a chainrule script, the same script for PyTorch, and a checkpoint.

Both scripts are one text with a different first import (``import chainrule as torch`` or
``import torch``), the course's promise that chainrule code is PyTorch code. Each carries the
run's training points, its initial weights, its hyper-parameters and the batch order (the
session's own ``batches`` function, copied in by ``inspect``), trains for the steps the page
ran and prints the final training loss, which matches what the page showed.
"""

from __future__ import annotations

import inspect
import io
import json

import chainrule
from chainrule.playground.session import Session, batches

__all__ = ["script", "checkpoint"]

_ACTIVATION = {
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "none": "nn.Identity()",
}
_LOSS = {
    "ce": "F.cross_entropy(logits, target)",
    "mse": "F.mse_loss(logits, F.one_hot(target, logits.shape[1]).float())",
    "hinge": "F.multi_margin_loss(logits, target)",
}
_OPTIMIZER = {
    "sgd": "torch.optim.SGD(model.parameters(), lr=LR, weight_decay=L2)",
    "momentum": "torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=L2)",
    "adam": "torch.optim.Adam(model.parameters(), lr=LR, weight_decay=L2)",
}
_IMPORT = {
    "chainrule": "import chainrule as torch  # chainrule's tensor engine, PyTorch's names",
    "torch": "import torch  # the same script on PyTorch",
}


def _layers(session: Session) -> str:
    c = session.config
    lines, width = [], 2
    for h, act in zip(c.hidden, c.act):
        lines += [f"nn.Linear({width}, {h})", _ACTIVATION[act]]
        width = h
    lines.append(f"nn.Linear({width}, {c.classes})")
    return "".join(f"    {line},\n" for line in lines)


def script(session: Session, engine: str = "chainrule") -> str:
    """The run as a runnable script for ``engine`` ("chainrule" or "torch"), printing the final loss."""
    if engine not in _IMPORT:
        raise ValueError(f"engine must be 'chainrule' or 'torch', got {engine!r}")
    c = session.config
    initial = {k: v.tolist() for k, v in session.initial_state.items()}
    filename = f"playground_{engine}.py"
    return f'''"""chainrule playground run: {c.describe()}, {session.step_count} steps.

Run it with `python {filename}`; it prints the training loss after the last step, the number
the playground showed. Only the import line differs between the
chainrule and the PyTorch export.
"""

from collections.abc import Iterator

import numpy as np

{_IMPORT[engine]}

nn, F = torch.nn, torch.nn.functional  # not `from torch import nn`: that would always be PyTorch's

X_TRAIN = np.array({json.dumps(session.X_train.tolist())}, dtype=np.float32)
Y_TRAIN = np.array({json.dumps(session.y_train.tolist())}, dtype=np.int64)
INITIAL_WEIGHTS = {json.dumps(initial)}
SEED, STEPS, BATCH, LR, L2 = {c.seed}, {session.step_count}, {c.batch}, {c.lr!r}, {c.l2!r}


{inspect.getsource(batches)}

def loss_fn(logits, target):
    return {_LOSS[c.loss]}


model = nn.Sequential(
{_layers(session)})
model.load_state_dict(
    {{k: torch.tensor(np.array(v, dtype=np.float32)) for k, v in INITIAL_WEIGHTS.items()}}
)
optimizer = {_OPTIMIZER[c.opt]}
X, Y = torch.tensor(X_TRAIN), torch.tensor(Y_TRAIN)
order = batches(len(Y_TRAIN), BATCH, SEED)
for step in range(STEPS):
    idx = torch.tensor(next(order))
    optimizer.zero_grad()
    loss = loss_fn(model(X[idx]), Y[idx])
    loss.backward()
    optimizer.step()

with torch.no_grad():
    print(f"final train loss {{float(loss_fn(model(X), Y)):.6f}} after {{STEPS}} steps")
'''


def checkpoint(session: Session) -> bytes:
    """The model as a chainrule checkpoint (``chainrule.load`` reads it; no pickle).

    It holds ``state_dict`` (the current weights), ``config`` (the page's settings) and ``step``.
    """
    buffer = io.BytesIO()
    chainrule.save(
        {
            "state_dict": session.model.state_dict(),
            "config": session.config.to_dict(),
            "step": session.step_count,
        },
        buffer,
    )
    return buffer.getvalue()

"""One page's training run on chainrule's tensor engine: the loop, the points and what each frame shows.

The loop is the lecture's five lines, run one batch at a time so the page can pause between any
two steps::

    optimizer.zero_grad()
    loss = loss_fn(model(X[idx]), y[idx])
    loss.backward()
    optimizer.step()

A ``frame()`` is everything the page draws at one moment: losses and accuracies on the train and
validation points, the decision boundary on a grid, each layer's gradient norm and the weights.

>>> s = Session(Config(data="xor", n=100, hidden=[4], act=["tanh"]))
>>> before = s.frame()["train_loss"]
>>> s.train(200)
>>> s.frame()["train_loss"] < before
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import chainrule
from chainrule import nn, optim
from chainrule._tensor import Tensor
from chainrule.autograd.grad_mode import no_grad
from chainrule.nn import functional as F
from chainrule.nn.mlp import ACTIVATIONS
from chainrule.playground.config import Config, ConfigError
from chainrule.playground.datasets import BOX, make_points, parse_csv, split

__all__ = ["Session", "batches", "build_model", "loss_fn", "GRID"]

#: The boundary heatmap's resolution: GRID x GRID cells over the drawn box.
GRID = 40


def batches(n: int, batch_size: int, seed: int) -> Iterator[np.ndarray]:
    """Yield the row indices of each step's batch: seeded epochs of full batches, forever.

    A batch as large as the data is the whole set in order; otherwise each epoch is a fresh
    permutation cut into ``n // batch_size`` batches (the remainder waits for the next epoch).
    The exported scripts carry this same function, so they replay the page's run batch by batch.
    """
    rng = np.random.default_rng(seed + 2)
    while True:
        if batch_size >= n:
            yield np.arange(n)
            continue
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


def loss_fn(name: str, logits: Tensor, target: Tensor) -> Tensor:
    """The chosen loss on logits (N, K) and class labels (N,): cross-entropy, MSE on one-hot, hinge."""
    if name == "ce":
        return F.cross_entropy(logits, target)
    if name == "mse":
        return F.mse_loss(logits, F.one_hot(target, logits.shape[1]).float())
    return F.multi_margin_loss(logits, target)


def build_model(config: Config) -> nn.Sequential:
    """``Linear → activation`` per hidden layer (each its own activation), then ``Linear`` to logits.

    The weights follow ``config.seed`` and ``config.init``; "none" puts an ``Identity`` in the
    activation's place, so the layer numbering (``0.weight``, ``2.weight``...) never changes.
    """
    chainrule.manual_seed(config.seed)
    layers: list[nn.Module] = []
    width = 2
    for h, act in zip(config.hidden, config.act):
        layers += [nn.Linear(width, h), ACTIVATIONS[act]()]
        width = h
    layers.append(nn.Linear(width, config.classes))
    model = nn.Sequential(*layers)
    for layer in model:
        if not isinstance(layer, nn.Linear) or config.init == "default":
            continue
        if config.init == "xavier":
            nn.init.xavier_uniform_(layer.weight)
        elif config.init == "kaiming":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        else:  # "normal": N(0, 1), the slide's setting where sigmoid stacks lose their gradient
            nn.init.normal_(layer.weight, 0.0, 1.0)
        nn.init.zeros_(layer.bias)
    return model


def make_optimizer(config: Config, model: nn.Module) -> optim.Optimizer:
    """SGD, SGD with momentum 0.9, or Adam; L2 is the optimizer's ``weight_decay``, as in torch."""
    params = model.parameters()
    if config.opt == "adam":
        return optim.Adam(params, lr=config.lr, weight_decay=config.l2)
    momentum = 0.9 if config.opt == "momentum" else 0.0
    return optim.SGD(params, lr=config.lr, momentum=momentum, weight_decay=config.l2)


class Session:
    """The points, the model and the optimizer of one page, with the run's step count."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.X, self.y = np.zeros((0, 2), np.float32), np.zeros(0, np.int64)
        self.configure(self.config)

    # ---- what the instructor changes ------------------------------------------------------------
    def configure(self, config: Config) -> None:
        """Take new settings: remake the points (unless they are custom) and restart the run."""
        config = Config.from_dict(config.to_dict())  # checked and filled in, however it was made
        if config.data != "custom":
            self.X, self.y = make_points(
                config.data, config.n, config.noise, config.seed, config.classes
            )
        elif len(self.y) < 4:
            raise ConfigError(
                "custom data needs at least 4 points: upload a CSV or click to add them"
            )
        else:
            config.classes = max(2, int(self.y.max()) + 1)
            config.n = len(self.y)
        self.config = config
        self.reset()

    def reset(self) -> None:
        """Fresh initial weights (from the seed), a fresh optimizer, step 0; the points stay."""
        c = self.config
        train, val = split(len(self.y), c.val, c.seed)
        self.X_train, self.y_train = self.X[train], self.y[train]
        self.X_val, self.y_val = self.X[val], self.y[val]
        self.model = build_model(c)
        self.initial_state = {k: v.numpy().copy() for k, v in self.model.state_dict().items()}
        self.optimizer = make_optimizer(c, self.model)
        self._order = batches(len(self.y_train), c.batch, c.seed)
        self.step_count = 0
        self.grad_norms = [0.0] * (len(c.hidden) + 1)
        self._tx, self._ty = Tensor(self.X_train), chainrule.tensor(self.y_train)

    def set_points(self, X: np.ndarray, y: np.ndarray) -> None:
        """Use these points as the data ("custom"): at most 5 classes, at least 4 points."""
        if len(y) < 4:
            raise ConfigError(f"custom data needs at least 4 points, got {len(y)}")
        self.X, self.y = X.astype(np.float32), y.astype(np.int64)
        self.configure(Config.from_dict({**self.config.to_dict(), "data": "custom"}))

    def load_csv(self, text: str) -> None:
        """Replace the points by an uploaded ``x,y,label`` CSV (see ``parse_csv`` for its checks)."""
        self.set_points(*parse_csv(text))

    def add_point(self, x: float, y: float, label: int) -> None:
        """Add a point of class ``label`` at (x, y) in the drawn box; the run restarts."""
        if not (-BOX <= x <= BOX and -BOX <= y <= BOX):
            raise ConfigError(f"point ({x:g}, {y:g}) is outside the drawn box [-{BOX}, {BOX}]²")
        if not 0 <= label <= 4:
            raise ConfigError(f"class must be 0..4, got {label}")
        if len(self.y) >= 2000:
            raise ConfigError("at most 2000 points")
        self.set_points(np.vstack([self.X, [[x, y]]]), np.append(self.y, label))

    def remove_point(self, x: float, y: float, radius: float = 0.08) -> bool:
        """Remove the point nearest (x, y) if it is within ``radius``; say whether one was."""
        if not len(self.y):
            return False
        d = np.hypot(self.X[:, 0] - x, self.X[:, 1] - y)
        i = int(d.argmin())
        if d[i] > radius:
            return False
        keep = np.arange(len(self.y)) != i
        self.set_points(self.X[keep], self.y[keep])
        return True

    # ---- the loop ---------------------------------------------------------------------------------
    def train(self, steps: int = 1) -> None:
        """Run ``steps`` optimizer steps, one batch each; each layer's last gradient norm is kept."""
        for _ in range(steps):
            idx = chainrule.tensor(next(self._order))
            self.optimizer.zero_grad()
            loss = loss_fn(self.config.loss, self.model(self._tx[idx]), self._ty[idx])
            loss.backward()
            self.optimizer.step()
            self.step_count += 1
        self.grad_norms = [
            float(np.linalg.norm(layer.weight.grad.numpy()))
            if layer.weight.grad is not None
            else 0.0
            for layer in self.linear_layers()
        ]
        if not np.isfinite(float(loss)):
            raise FloatingPointError(
                f"the loss became {float(loss)} at step {self.step_count}: lower the learning rate"
            )

    def linear_layers(self) -> list[nn.Linear]:
        """The model's Linear layers, input side first."""
        return [m for m in self.model if isinstance(m, nn.Linear)]

    # ---- what the page draws ----------------------------------------------------------------------
    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
        if not len(y):
            return None, None
        logits = self.model(Tensor(X))
        loss = float(loss_fn(self.config.loss, logits, chainrule.tensor(y)))
        acc = float((logits.numpy().argmax(1) == y).mean())
        return loss, acc

    def frame(self) -> dict[str, Any]:
        """Everything the page draws now, as JSON values (see the module docstring)."""
        with no_grad():
            train_loss, train_acc = self._evaluate(self.X_train, self.y_train)
            val_loss, val_acc = self._evaluate(self.X_val, self.y_val)
            axis = np.linspace(-BOX, BOX, GRID, dtype=np.float32)
            gx, gy = np.meshgrid(axis, axis[::-1])  # row 0 is the top of the picture
            cells = np.stack([gx.ravel(), gy.ravel()], 1)
            probs = F.softmax(self.model(Tensor(cells)), dim=1).numpy()
        return {
            "type": "frame",
            "step": self.step_count,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "grad_norms": self.grad_norms,
            "grid": {
                "size": GRID,
                "cls": probs.argmax(1).tolist(),
                "conf": np.round(probs.max(1), 3).tolist(),
            },
            "weights": [np.round(m.weight.numpy(), 4).tolist() for m in self.linear_layers()],
        }

    def points(self) -> dict[str, Any]:
        """The points and which are held out for validation (sent when they change)."""
        _, val = split(len(self.y), self.config.val, self.config.seed)
        is_val = np.zeros(len(self.y), bool)
        is_val[val] = True
        return {
            "type": "points",
            "x": np.round(self.X, 4).tolist(),
            "y": self.y.tolist(),
            "val": is_val.tolist(),
            "classes": self.config.classes,
            "box": BOX,
            "config": self.config.to_dict(),
        }

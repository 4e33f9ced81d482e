"""What the instructor set: one run's data, network and hyper-parameters, checked against bounds.

The page keeps the same fields in its URL (``?data=moons&hidden=8,8&act=relu,relu&...``), so a
link is the whole exercise; the server never trusts it. ``Config.from_dict`` turns what the page
sent into a checked ``Config`` or raises ``ConfigError`` with one line naming the field, which
the page shows in its message bar. The bounds keep one step well under a frame on two cores.

>>> Config.from_dict({"data": "xor", "hidden": [4], "act": ["tanh"]}).describe()
'xor (200 points, noise 0.1), 2-4-2 tanh, cross-entropy, adam lr 0.03, batch 32'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Config", "ConfigError", "DATASETS", "ACTIVATIONS", "INITS", "LOSSES", "OPTIMIZERS"]

#: The data sets the page offers ("custom" is what the instructor clicked or uploaded).
DATASETS = ("xor", "moons", "circles", "spiral", "blobs", "custom")
#: Per hidden layer; "none" is the linear-collapse demo.
ACTIVATIONS = ("relu", "tanh", "sigmoid", "none")
#: "default" is nn.Linear's own (PyTorch's) init; "normal" is N(0, 1), the vanishing-gradient demo.
INITS = ("default", "xavier", "kaiming", "normal")
LOSSES = {"ce": "cross-entropy", "mse": "MSE", "hinge": "hinge"}
OPTIMIZERS = ("sgd", "momentum", "adam")

# Bounds: large enough for every lecture demo, small enough that a step stays fast.
MAX_POINTS = 2000
MAX_LAYERS = 8
MAX_WIDTH = 32
MAX_CLASSES = 5


class ConfigError(ValueError):
    """A setting the page sent is out of range or unknown: one line naming it."""


@dataclass
class Config:
    """One run of the playground; every field is a control on the page and a URL parameter."""

    data: str = "moons"
    n: int = 200  # points in the data set (train + validation)
    noise: float = 0.1
    classes: int = 2  # blobs and spiral only; the others have two
    seed: int = 0  # data, split, initial weights and batch order all follow it
    val: float = 0.2  # fraction held out for validation
    hidden: list[int] = field(default_factory=lambda: [8, 8])
    act: list[str] = field(default_factory=lambda: ["relu", "relu"])
    init: str = "default"
    loss: str = "ce"
    opt: str = "adam"
    lr: float = 0.03
    batch: int = 32
    l2: float = 0.0
    # Controls the link hides or locks (by name), for a pared-down exercise.
    hide: list[str] = field(default_factory=list)
    lock: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, raw: Any) -> Config:
        """Check every field the page sent (unknown names, types, bounds) and build the Config."""
        if not isinstance(raw, dict):
            raise ConfigError(f"config must be an object, got {type(raw).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        c = cls(**{k: v for k, v in raw.items()})
        c.data = _choice("data", c.data, DATASETS)
        c.n = _int("n", c.n, 4, MAX_POINTS)
        c.noise = _float("noise", c.noise, 0.0, 2.0)
        c.classes = _int("classes", c.classes, 2, MAX_CLASSES)
        if c.data not in ("blobs", "spiral", "custom"):
            c.classes = 2
        c.seed = _int("seed", c.seed, 0, 2**31 - 1)
        c.val = _float("val", c.val, 0.0, 0.5)
        c.hidden = _int_list("hidden", c.hidden, 1, MAX_WIDTH, MAX_LAYERS)
        acts = [_choice("act", a, ACTIVATIONS) for a in _list("act", c.act)] or ["relu"]
        # One activation for every hidden layer: a short list repeats its last entry.
        c.act = [acts[min(i, len(acts) - 1)] for i in range(len(c.hidden))]
        c.init = _choice("init", c.init, INITS)
        c.loss = _choice("loss", c.loss, tuple(LOSSES))
        c.opt = _choice("opt", c.opt, OPTIMIZERS)
        c.lr = _float("lr", c.lr, 1e-6, 10.0)
        c.batch = _int("batch", c.batch, 1, MAX_POINTS)
        c.l2 = _float("l2", c.l2, 0.0, 1.0)
        c.hide = [str(h) for h in _list("hide", c.hide)][:64]
        c.lock = [str(h) for h in _list("lock", c.lock)][:64]
        return c

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values (what the page and the exported scripts get)."""
        return asdict(self)

    @property
    def sizes(self) -> list[int]:
        """Layer widths from the input to the logits: [2, *hidden, classes]."""
        return [2, *self.hidden, self.classes]

    def describe(self) -> str:
        """One line for people: the data, the architecture, the loss and the optimizer."""
        arch = "-".join(str(s) for s in self.sizes)
        acts = ",".join(sorted(set(self.act))) if self.act else "linear"
        return (
            f"{self.data} ({self.n} points, noise {self.noise:g}), {arch} {acts}, "
            f"{LOSSES[self.loss]}, {self.opt} lr {self.lr:g}, batch {self.batch}"
        )


def _choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}, got {value!r}")
    return value


def _number(name: str, value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    try:
        number = kind(float(value)) if kind is float else kind(str(value).strip())
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(
            f"{name} must be {'an integer' if kind is int else 'a number'}, got {value!r}"
        ) from None
    if kind is float and number != number:  # NaN
        raise ConfigError(f"{name} must be a number, got NaN")
    return number


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = _number(name, value, int)
    if not lo <= number <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {number}")
    return number


def _float(name: str, value: Any, lo: float, hi: float) -> float:
    number = _number(name, value, float)
    if not lo <= number <= hi:
        raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {number:g}")
    return number


def _list(name: str, value: Any) -> list[Any]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v != ""]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name} must be a list, got {value!r}")
    if len(value) > 64:
        raise ConfigError(f"{name} has {len(value)} entries; at most 64")
    return list(value)


def _int_list(name: str, value: Any, lo: int, hi: int, max_len: int) -> list[int]:
    items = _list(name, value)
    if len(items) > max_len:
        raise ConfigError(f"{name}: at most {max_len} hidden layers, got {len(items)}")
    return [_int(f"{name} width", v, lo, hi) for v in items]

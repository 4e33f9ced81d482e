"""The one schema a ``chainrule train`` checkpoint's metadata must fit, checked before a model is built.

The metadata is JSON a user can edit, so every field is checked for its type, its range and its
agreement with the others, and the arrays for their agreement with the model the metadata
describes (so a 6 KB file claiming hidden widths of 30000 is refused before 3.6 GB of weights
are allocated). Each failure is a :class:`MetadataError` naming the field, e.g.
``metadata field config.lr: must be a number > 0, got 'fast'``.

The config's fields are listed here, not taken from ``TrainConfig`` (which imports this
package's checkpoint module): ``tests/test_robustness_checkpoint.py`` checks the two agree.

>>> json_depth('{"a": [1, {"b": "]]]"}]}')
3
>>> check_config(dict.fromkeys(CONFIG_FIELDS, None))
Traceback (most recent call last):
chainrule.training.checkpoint_schema.MetadataError: metadata field config.dataset: must be a string, got None
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule import nn, optim
from chainrule.creation import zeros
from chainrule.training.datasets import DATASETS

__all__ = ["MetadataError", "check_training_meta", "check_config", "json_depth", "CONFIG_FIELDS"]

MAX_WIDTH = 1_000_000  # a layer's width; the arrays must also be in the file, which bounds more
MAX_LAYERS = 64
MAX_EPOCHS = 1_000_000
MAX_TEXT = 4096  # a name, a path or a class name
_OPTIMIZERS = ("sgd", "adam", "adamw")  # loop.OPTIMIZERS; a test keeps them equal
_ACTIVATIONS = tuple(name for name in nn.ACTIVATIONS if name != "none")
# The state each optimizer keeps per parameter; "step" is a 0-d count, the rest shaped like it.
_STATE = {
    "sgd": {"momentum_buffer"},
    "adam": {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    "adamw": {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
}


class MetadataError(ValueError):
    """A metadata field of the wrong type, out of range, or disagreeing with another; names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"metadata field {field}: {reason}")
        self.field = field


_BRACKET_STEP = np.zeros(256, np.int64)  # +1 for [ and {, -1 for ] and }, by byte
_BRACKET_STEP[[ord("["), ord("{")]] = 1
_BRACKET_STEP[[ord("]"), ord("}")]] = -1


def json_depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in JSON ``text`` (brackets inside strings do not count).

    Measured before ``json.loads``, which recurses and would fail on 10⁵ levels with a
    RecursionError; this counts with arrays, in linear time.
    """
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # strings' contents out of the way
    codes = np.frombuffer(bare.encode("utf-8", "replace"), dtype=np.uint8)
    return int(np.cumsum(_BRACKET_STEP[codes]).max(initial=0))


# ---- small checks, each naming its field -------------------------------------------------------
def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(
        value
    )


def _int(field: str, value: Any, low: int = 0, high: int | None = None) -> int:
    if not _is_int(value) or value < low or (high is not None and value > high):
        upper = f" and <= {high}" if high is not None else ""
        raise MetadataError(field, f"must be an integer >= {low}{upper}, got {_show(value)}")
    return value


def _number(field: str, value: Any, low: float, high: float | None = None, *, open_low=False):
    ok = _is_number(value) and (value > low if open_low else value >= low)
    if not ok or (high is not None and value > high):
        bound = f"> {low}" if open_low else f">= {low}"
        bound += f" and <= {high}" if high is not None else ""
        raise MetadataError(field, f"must be a number {bound}, got {_show(value)}")
    return float(value)


def _text(field: str, value: Any, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise MetadataError(field, f"must be a string, got {_show(value)}")
    if choices is not None and value not in choices:
        raise MetadataError(field, f"must be one of {', '.join(choices)}, got {_show(value)}")
    return value


def _dict(field: str, value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MetadataError(field, f"must be a dict, got {type(value).__name__}")
    missing = sorted(set(keys) - set(value))
    if missing:
        raise MetadataError(field, f"lacks {', '.join(missing)}")
    extra = sorted(set(value) - set(keys))
    if extra:
        raise MetadataError(field, f"has unknown key {_show(extra[0])}")
    return value


def _list(field: str, value: Any, high: int) -> list[Any]:
    if not isinstance(value, list) or len(value) > high:
        raise MetadataError(field, f"must be a list of at most {high} items, got {_show(value)}")
    return value


# ---- the config --------------------------------------------------------------------------------
def _hidden(field: str, value: Any) -> list[int]:
    widths = _list(field, value, MAX_LAYERS)
    if not widths:
        raise MetadataError(field, "needs one or more widths")
    return [_int(f"{field}[{i}]", h, 1, MAX_WIDTH) for i, h in enumerate(widths)]


def _optional(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    return lambda field, value: None if value is None else check(field, value)


def _bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise MetadataError(field, f"must be true or false, got {_show(value)}")
    return value


#: Each TrainConfig field and its check: type and range, as ``TrainConfig.validate`` wants them.
CONFIG_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "dataset": lambda f, v: _text(f, v, tuple(DATASETS)),
    "data_dir": _optional(_text),
    "val_fraction": lambda f, v: _fraction_below_one(f, v),
    "hidden": _hidden,
    "activation": lambda f, v: _text(f, v, _ACTIVATIONS),
    "epochs": lambda f, v: _int(f, v, 0, MAX_EPOCHS),
    "batch_size": lambda f, v: _int(f, v, 1, 2**31),
    "optimizer": lambda f, v: _text(f, v, _OPTIMIZERS),
    "lr": lambda f, v: _number(f, v, 0.0, open_low=True),
    "momentum": _optional(lambda f, v: _number(f, v, 0.0)),
    "weight_decay": lambda f, v: _number(f, v, 0.0),
    "seed": lambda f, v: _int(f, v, 0, 2**63),
    "detect_anomaly": _bool,
}


def _fraction_below_one(field: str, value: Any) -> float:
    fraction = _number(field, value, 0.0)
    if fraction >= 1.0:
        raise MetadataError(field, f"must be in [0, 1), got {_show(value)}")
    return fraction


def check_config(config: Any, field: str = "config") -> dict[str, Any]:
    """Check a saved ``TrainConfig.to_dict()``: every field present, of its type and in range."""
    _dict(field, config, tuple(CONFIG_FIELDS))
    for name, check in CONFIG_FIELDS.items():
        check(f"{field}.{name}", config[name])
    if config["momentum"] is not None and config["optimizer"] != "sgd":
        raise MetadataError(f"{field}.momentum", f"is set, but {config['optimizer']} has none")
    return config


# ---- the rest of a training checkpoint ---------------------------------------------------------
_TOP = ("config", "epoch", "partial_epoch", "model", "data", "rng", "history", "format")


def _rng_state(field: str, value: Any) -> None:
    """A NumPy PCG64 state: what ``bit_generator.state`` gives and accepts back."""
    state = _dict(field, value, ("bit_generator", "state", "has_uint32", "uinteger"))
    if state["bit_generator"] != "PCG64":
        raise MetadataError(
            f"{field}.bit_generator", f"must be 'PCG64', got {_show(state['bit_generator'])}"
        )
    inner = _dict(f"{field}.state", state["state"], ("state", "inc"))
    for key in ("state", "inc"):
        _int(f"{field}.state.{key}", inner[key], 0, 2**128 - 1)
    _int(f"{field}.has_uint32", state["has_uint32"], 0, 1)
    _int(f"{field}.uinteger", state["uinteger"], 0, 2**32 - 1)


def _history(value: Any, epochs: int) -> None:
    rows = _list("history", value, MAX_EPOCHS)
    if len(rows) != epochs:
        raise MetadataError("history", f"has {len(rows)} rows for {epochs} epochs")
    keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")
    for i, row in enumerate(rows):
        field = f"history[{i}]"
        _dict(field, row, keys)
        if row["epoch"] != i + 1 or not _is_int(row["epoch"]):
            raise MetadataError(f"{field}.epoch", f"must be {i + 1}, got {_show(row['epoch'])}")
        _number(f"{field}.train_loss", row["train_loss"], 0.0)
        _number(f"{field}.train_acc", row["train_acc"], 0.0, 1.0)
        _optional(lambda f, v: _number(f, v, 0.0))(f"{field}.val_loss", row["val_loss"])
        _optional(lambda f, v: _number(f, v, 0.0, 1.0))(f"{field}.val_acc", row["val_acc"])
        _number(f"{field}.lr", row["lr"], 0.0, open_low=True)
        _number(f"{field}.seconds", row["seconds"], 0.0)


def _partial(value: Any) -> None:
    if value is None:
        return
    keys = ("loader_state", "batches", "loss_sum", "correct", "seen", "seconds")
    part = _dict("partial_epoch", value, keys)
    _rng_state("partial_epoch.loader_state", part["loader_state"])
    _int("partial_epoch.batches", part["batches"])
    _number("partial_epoch.loss_sum", part["loss_sum"], 0.0)
    seen = _int("partial_epoch.seen", part["seen"])
    _int("partial_epoch.correct", part["correct"], 0, seen)
    _number("partial_epoch.seconds", part["seconds"], 0.0)


def _model_shapes(model: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """The state_dict ``build_mlp`` makes for these sizes: Linear layers at 0, 2, 4, ..."""
    sizes = [model["input_dim"], *model["hidden"], model["n_classes"]]
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        shapes[f"{2 * i}.weight"] = (fan_out, fan_in)
        shapes[f"{2 * i}.bias"] = (fan_out,)
    return shapes


def _optimizer_class(name: str) -> type[optim.Optimizer]:
    return {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW}[name]


def _groups(groups: Any, config: dict[str, Any], n_params: int) -> None:
    """One group over every parameter, with the optimizer's own keys and value types, the
    config's lr, momentum and weight decay, and values the optimizer itself accepts."""
    field = "optimizer_param_groups"
    if groups is None:
        raise MetadataError(field, "missing: a training checkpoint has one")
    if len(groups) != 1 or groups[0]["params"] != list(range(n_params)):
        raise MetadataError(field, f"must be one group over parameters 0..{n_params - 1}")
    group = {k: v for k, v in groups[0].items() if k != "params"}
    kind = _optimizer_class(config["optimizer"])
    # The keys and value types a fresh optimizer of this kind has: the one source of truth.
    template = kind([nn.Parameter(zeros(1))], lr=1.0).param_groups[0]
    for key in sorted(set(group) | set(template) - {"params"}):
        name = f"{field}[0].{key}"
        if key not in template:
            raise MetadataError(name, f"is not a {kind.__name__} hyperparameter")
        if key not in group:
            raise MetadataError(name, f"is missing ({kind.__name__} has it)")
        _like(name, group[key], template[key])
    expected = {"lr": config["lr"], "weight_decay": config["weight_decay"]}
    if config["optimizer"] == "sgd":
        expected["momentum"] = 0.9 if config["momentum"] is None else config["momentum"]
    for key, want in expected.items():
        if group[key] != want:
            raise MetadataError(
                f"{field}[0].{key}", f"is {_show(group[key])}, but the config says {want!r}"
            )
    try:  # the optimizer's own range checks (betas in [0, 1), eps >= 0, ...)
        kind(
            [nn.Parameter(zeros(1))],
            **{k: tuple(v) if isinstance(v, list) else v for k, v in group.items()},
        )
    except (ValueError, TypeError) as e:
        raise MetadataError(f"{field}[0]", f"{kind.__name__} refuses it ({e})") from None


def _like(field: str, value: Any, template: Any) -> None:
    """``value`` has the JSON form of ``template``: a bool, a number, None, or a tuple of numbers."""
    if isinstance(template, bool) or template is None:
        ok = isinstance(value, bool) or (template is None and value is None)
    elif isinstance(template, (int, float)):
        ok = _is_number(value)
    elif isinstance(template, tuple):
        ok = isinstance(value, list) and len(value) == len(template) and all(map(_is_number, value))
    else:
        ok = value == template
    if not ok:
        raise MetadataError(field, f"must be like {template!r}, got {_show(value)}")


def _optim_state(
    state: dict[int, dict[str, Any]], optimizer: str, shapes: list[tuple[int, ...]]
) -> None:
    allowed = _STATE[optimizer]
    for index, entries in state.items():
        if index >= len(shapes):
            raise MetadataError(
                f"optim.state.{index}", f"is for parameter {index}, but the model has {len(shapes)}"
            )
        for name, value in entries.items():
            member = f"optim.state.{index}.{name}"
            if name not in allowed:
                raise MetadataError(member, f"is not state {optimizer} keeps")
            if name == "step":
                continue  # a 0-d count, checked when read
            if not isinstance(value, np.ndarray) or value.shape != shapes[index]:
                got = value.shape if isinstance(value, np.ndarray) else type(value).__name__
                raise MetadataError(member, f"has shape {got}, the parameter {shapes[index]}")


def check_training_meta(
    meta: dict[str, Any],
    groups: Any,
    model_state: dict[str, np.ndarray],
    optim_state: dict[int, dict[str, Any]],
) -> None:
    """Check a ``chainrule train`` checkpoint's metadata, and its arrays against the model it describes.

    ``groups`` is ``optimizer_param_groups`` (already checked for its own types); arrays have
    been read and checked for dtype and finiteness. Raises :class:`MetadataError`.
    """
    _dict("(top level)", meta, _TOP)
    config = check_config(meta["config"])
    epoch = _int("epoch", meta["epoch"], 0, config["epochs"])
    _history(meta["history"], epoch)
    _partial(meta["partial_epoch"])

    model = _dict("model", meta["model"], ("input_dim", "hidden", "n_classes", "activation"))
    _int("model.input_dim", model["input_dim"], 1, MAX_WIDTH)
    if _hidden("model.hidden", model["hidden"]) != config["hidden"]:
        raise MetadataError(
            "model.hidden", f"is {model['hidden']}, the config's {config['hidden']}"
        )
    n_classes = _int("model.n_classes", model["n_classes"], 2, MAX_WIDTH)
    if model["activation"] != config["activation"]:
        raise MetadataError(
            "model.activation",
            f"is {_show(model['activation'])}, the config's {config['activation']!r}",
        )

    data = _dict("data", meta["data"], ("name", "source", "classes", "mean", "std"))
    _text("data.name", data["name"])
    _text("data.source", data["source"])
    classes = _list("data.classes", data["classes"], MAX_WIDTH)
    if len(classes) != n_classes:
        raise MetadataError("data.classes", f"has {len(classes)} names for {n_classes} classes")
    for i, name in enumerate(classes):
        _text(f"data.classes[{i}]", name)
    for key in ("mean", "std"):
        values = _list(f"data.{key}", data[key], model["input_dim"])
        if len(values) not in (1, model["input_dim"]):
            raise MetadataError(
                f"data.{key}", f"needs 1 or {model['input_dim']} values, got {len(values)}"
            )
        for i, v in enumerate(values):  # a std of 0 would divide every input by zero
            _number(f"data.{key}[{i}]", v, 0.0 if key == "std" else -math.inf, open_low=True)

    rng = _dict("rng", meta["rng"], ("loader", "global"))
    _rng_state("rng.loader", rng["loader"])
    _rng_state("rng.global", rng["global"])

    # The arrays, against the model just described: nothing is built before they agree.
    shapes = _model_shapes(model)
    for key in sorted(set(shapes) | set(model_state)):
        member = f"model.{key}"
        if key not in shapes:
            raise MetadataError(member, "is not in the model the metadata describes")
        if key not in model_state:
            raise MetadataError(member, "is missing: the model the metadata describes has it")
        array = model_state[key]
        if array.shape != shapes[key]:
            raise MetadataError(
                member, f"has shape {array.shape}; the metadata's model needs {shapes[key]}"
            )
        if array.dtype != np.float32:
            raise MetadataError(member, f"is {array.dtype}; a chainrule train model is float32")
    _groups(groups, config, len(shapes))
    _optim_state(optim_state, config["optimizer"], list(shapes.values()))

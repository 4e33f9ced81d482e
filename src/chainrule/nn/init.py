"""Weight initialisation: fill a Tensor in place from a distribution scaled to its fan.

Why scale at all: a layer with ``fan_in`` inputs sums ``fan_in`` terms, so unscaled N(0, 1)
weights multiply the activation variance by ``fan_in`` per layer; deep nets then explode or
vanish (Lecture 1, P6). Xavier keeps variance steady for tanh/sigmoid (averaging fan in and out);
He/Kaiming doubles it for ReLU, which zeroes half its inputs.

Every function writes into ``tensor.data`` (the autograd graph never sees it, so no
``no_grad`` is needed), keeps the tensor's dtype, and returns the tensor. Random draws come
from the engine's global generator, so ``chainrule.manual_seed(s)`` makes them reproducible.
The formulas are PyTorch's; the random streams are not (NumPy's generator, not torch's).
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np

from chainrule._tensor import Tensor

# The engine's one global generator, the one ``chainrule.manual_seed`` seeds.
from chainrule.random import generator as _generator

FanMode = Literal["fan_in", "fan_out"]

_LINEAR_GAINS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return the recommended std gain for a nonlinearity (how much it shrinks the variance).

        linear, conv*, sigmoid → 1    tanh → 5/3    relu → √2
        leaky_relu → √(2 / (1 + slope²))  (slope = param, default 0.01)    selu → 3/4

    >>> calculate_gain("relu")
    1.4142135623730951
    >>> calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    """
    if nonlinearity in _LINEAR_GAINS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight shaped ``(out, in, *receptive_field)``.

        fan_in = in · ∏ receptive_field        fan_out = out · ∏ receptive_field

    A Linear weight ``(out, in)`` has no receptive field; a conv kernel ``(out, in, kH, kW)``
    sees ``in · kH · kW`` inputs per output.

    >>> _calculate_fan_in_and_fan_out(Tensor(np.zeros((16, 3, 5, 5))))
    (75, 400)
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: np.ndarray | float) -> Tensor:
    # Write into the existing array: dtype kept, and anything holding the array (an
    # optimizer's view, a state_dict entry) sees the new values.
    tensor.data[...] = values
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``tensor`` with draws from U(a, b).

    >>> w = uniform_(Tensor(np.zeros((2, 3))), -1.0, 1.0)
    >>> bool((w.data >= -1).all() and (w.data < 1).all())
    True
    """
    return _fill(tensor, _generator().uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``tensor`` with draws from N(mean, std²).

    >>> normal_(Tensor(np.zeros((2, 3))), 0.0, 0.02).shape
    chainrule.Size([2, 3])
    """
    return _fill(tensor, _generator().normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val``.

    >>> constant_(Tensor(np.zeros(3)), 0.5).data.tolist()
    [0.5, 0.5, 0.5]
    """
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 0.

    >>> zeros_(Tensor(np.ones(2))).data.tolist()
    [0.0, 0.0]
    """
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 1.

    >>> ones_(Tensor(np.zeros(2))).data.tolist()
    [1.0, 1.0]
    """
    return _fill(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Fill ``tensor`` from U(−a, a) with Glorot & Bengio's scaling.

        a = gain · √(6 / (fan_in + fan_out))   (so std = gain · √(2 / (fan_in + fan_out)))

    >>> w = xavier_uniform_(Tensor(np.zeros((20, 30))))
    >>> bool(w.abs().max() <= math.sqrt(6 / 50))
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # U(−a, a) has std a/√3
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Fill ``tensor`` from N(0, std²) with Glorot & Bengio's scaling.

        std = gain · √(2 / (fan_in + fan_out))

    >>> xavier_normal_(Tensor(np.zeros((20, 30)))).shape
    chainrule.Size([20, 30])
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: FanMode = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """Fill ``tensor`` from U(−bound, bound) with He et al.'s scaling.

        bound = √3 · gain(nonlinearity, a) / √fan      (fan = fan_in or fan_out, per ``mode``)

    ``a`` is the leaky-ReLU slope. ``nn.Linear`` uses ``a=√5``, which gives gain √(1/3) and so
    bound = 1/√fan_in.

    >>> w = kaiming_uniform_(Tensor(np.zeros((4, 100))), a=math.sqrt(5))
    >>> bool(w.abs().max() <= 0.1)
    True
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: FanMode = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """Fill ``tensor`` from N(0, std²) with He et al.'s scaling.

        std = gain(nonlinearity, a) / √fan

    >>> kaiming_normal_(Tensor(np.zeros((4, 100))), nonlinearity="relu").shape
    chainrule.Size([4, 100])
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std)


__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

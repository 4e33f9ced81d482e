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


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> Tensor:
    """Fill ``tensor`` from N(mean, std²) restricted to [a, b] (a, b are values, not stds).

    Draws outside [a, b] are redrawn until every entry lies inside, which samples the truncated
    normal exactly. (PyTorch inverts the CDF instead: the same distribution, another stream.)

    >>> w = trunc_normal_(Tensor(np.zeros((50, 50))), std=1.0, a=-0.5, b=0.5)
    >>> bool((w.abs() <= 0.5).all())
    True
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: a must be less than b, but got a={a}, b={b}")
    inside = math.erf((b - mean) / (std * math.sqrt(2))) - math.erf(
        (a - mean) / (std * math.sqrt(2))
    )
    if inside / 2 < 1e-4:
        # Rejection would need more than 10⁴ draws per entry: say so instead of spinning.
        raise ValueError(
            f"trunc_normal_: [{a}, {b}] holds less than 0.01% of N({mean}, {std}²); "
            "move the interval nearer the mean"
        )
    rng = _generator()
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D ``tensor`` with the identity (ones on the diagonal): a layer that copies its input.

    >>> eye_(Tensor(np.zeros((2, 3)))).data.tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013).

    The rows (or columns, whichever are fewer) are orthonormal, so the layer keeps the length of
    every input in their span: no layer-by-layer growth or decay. A tensor with more than two
    dimensions is treated as ``(shape[0], rest flattened)``. The method is a QR decomposition of
    a Gaussian matrix, with the signs fixed so the result is uniformly distributed.

    >>> w = orthogonal_(Tensor(np.zeros((3, 5))))
    >>> bool(np.allclose(w.data @ w.data.T, np.eye(3), atol=1e-6))
    True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor  # nothing to fill (torch does the same)
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _generator().normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T  # QR of the tall side: its Q has orthonormal columns
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # without this fix the distribution is not uniform
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


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
    "trunc_normal_",
    "eye_",
    "orthogonal_",
]

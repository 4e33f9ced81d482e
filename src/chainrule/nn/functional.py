"""Stateless neural-network functions with ``torch.nn.functional``'s names and signatures.

Activations dispatch to their primitives in ``chainrule.autograd.rules``. Losses return per-element
values from a primitive (or a short composition) and then reduce them with
``reduction='mean' | 'sum' | 'none'``, as PyTorch does. Arguments after ``weight`` are
keyword-only here (PyTorch's deprecated ``size_average``/``reduce`` are not accepted).

>>> from chainrule import Tensor
>>> from chainrule.nn import functional as F
>>> logits = Tensor([[2.0, 1.0, 0.1]], requires_grad=True)
>>> loss = F.cross_entropy(logits, chainrule.tensor([0]))
>>> round(loss.item(), 4)
0.417
>>> loss.backward(); logits.grad   # softmax − onehot
tensor([[-0.3410,  0.2424,  0.0986]])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from chainrule import functions as _fn
from chainrule import random as _random
from chainrule._tensor import Tensor, as_tensor, int64
from chainrule._tensor.dispatch import apply, wrap
from chainrule.autograd.shapes import DTypeError

__all__ = [
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "gelu",
    "softmax",
    "log_softmax",
    "linear",
    "dropout",
    "one_hot",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    # activations built from the primitives above
    "relu_",
    "relu6",
    "elu",
    "selu",
    "silu",
    "mish",
    "softplus",
    "logsigmoid",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "softsign",
    "tanhshrink",
    "threshold",
    "glu",
    "softmin",
    "prelu",
    # normalisation, distances, lookups
    "normalize",
    "cosine_similarity",
    "pairwise_distance",
    "layer_norm",
    "batch_norm",
    "embedding",
    "bilinear",
    "pad",
    # more losses
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "multi_margin_loss",
]


def _tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """Targets may arrive as arrays or lists; floats take the input's dtype."""
    if isinstance(x, Tensor):
        return x
    t = as_tensor(x)
    if like is not None and t.dtype.kind == "f" and t.dtype != like.dtype:
        t = t.to(like.dtype)
    return t


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: target shape {target.shape} differs from input shape {input.shape}; "
            f"they must be the same"
        )


# ------------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x); the gradient is 1 where x > 0, else 0. ``inplace`` is accepted and ignored.

    >>> relu(Tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return apply("relu", input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope·x. ``inplace`` is accepted and ignored.

    >>> leaky_relu(Tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1000,  2.0000])
    """
    return input.leaky_relu(negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow; σ' = σ(1 − σ).

    >>> sigmoid(Tensor([0.0]))
    tensor([0.5000])
    """
    return apply("sigmoid", input)


def tanh(input: Tensor) -> Tensor:
    """tanh(x); tanh' = 1 − tanh².

    >>> tanh(Tensor([0.0]))
    tensor([0.])
    """
    return apply("tanh", input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (``approximate='none'``) or its tanh approximation (``approximate='tanh'``).

    >>> gelu(Tensor([0.0, 1.0]))
    tensor([0.0000, 0.8413])
    """
    return apply("gelu", input, approximate=approximate)


def _softmax_dim(op: str, ndim: int) -> int:
    # PyTorch's legacy choice when dim is omitted (and, like PyTorch, we warn about it).
    warnings.warn(
        f"{op}: implicit dimension choice is deprecated; pass dim= explicitly",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x_i) / Σ_j exp(x_j) along ``dim``, computed as exp(log_softmax(x)) for stability.

    >>> softmax(Tensor([2.0, 1.0, 0.1]), dim=0)
    tensor([0.6590, 0.2424, 0.0986])
    """
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x_i − log Σ_j exp(x_j) along ``dim``, with the log-sum-exp trick.

    >>> log_softmax(Tensor([1000.0, 0.0, -1000.0]), dim=0)
    tensor([    0., -1000., -2000.])
    """
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return input.log_softmax(dim)


# ------------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b, with weight (out_features, in_features) as in PyTorch (one fused op).

    Backward: dL/dx = δ W, dL/dW = δᵀ x, dL/db = Σ_batch δ.

    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[1.0, 1.0]]), Tensor([0.5]))
    tensor([[3.5000]])
    """
    x_dtype, w_dtype = _array_dtype(input), _array_dtype(weight)
    if x_dtype is not None and w_dtype is not None and x_dtype != w_dtype:
        # PyTorch does not promote here: a float64 batch into a float32 layer is an error
        raise DTypeError(
            f"mat1 and mat2 must have the same dtype, but got {_TORCH_TYPE.get(x_dtype.name, x_dtype)} "
            f"and {_TORCH_TYPE.get(w_dtype.name, w_dtype)} (cast the input, e.g. x.float(), or "
            f"the model, e.g. model.double())"
        )
    return apply("linear", input, weight, bias)


_TORCH_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}


def _array_dtype(x: Any) -> np.dtype | None:
    # The NumPy dtype, read straight off the array: ``Tensor.dtype`` looks up a chainrule dtype
    # on every call, and linear runs once per layer per step.
    return x._data.dtype if isinstance(x, Tensor) else getattr(x, "dtype", None)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 − p) (inverted dropout).

    Identity when ``training`` is False or p == 0; all zeros when p == 1. The mask comes from the
    global generator (``chainrule.manual_seed``). ``inplace`` is accepted and ignored.

    >>> x = Tensor([1.0, 2.0])
    >>> dropout(x, 0.5, training=False) is x
    True
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    # keep (bool) -> float mask scaled by 1/(1-p); a constant in the graph: d(x·m)/dx = m
    keep = _random.generator().random(input.shape, dtype=np.float32) >= p
    mask = keep.astype(input.dtype)
    mask *= 1.0 / (1.0 - p)
    return input * mask


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices -> one-hot rows (int64), as ``torch.nn.functional.one_hot``.

    >>> one_hot(chainrule.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    idx = tensor._data
    if idx.dtype.kind not in "iu":
        raise TypeError("one_hot: indices must be an integer tensor")
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    return wrap((idx[..., None] == np.arange(n)).astype(int64))


# ------------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------------
def _classes_last(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """(N, C, d1, ...) logits with (N, d1, ...) targets -> (N·d1·..., C) and (N·d1·...,)."""
    if input.ndim <= 2:
        return input, target
    c = input.shape[1]
    order = (0,) + tuple(range(2, input.ndim)) + (1,)
    return input.permute(*order).reshape(-1, c), target.reshape(-1)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy −log softmax(x)[target] from logits; dL/dx = (softmax − onehot)/N.

    ``target`` holds class indices (int, shape (N,)) or class probabilities (float, same shape
    as ``input``). Logits may be (N, C), (C,) or (N, C, d1, ...). With ``reduction='mean'`` the
    loss is averaged over non-ignored targets (weighted by ``weight[target]`` if given).

    >>> round(cross_entropy(Tensor([[3.0, 1.0, -1.0]]), chainrule.tensor([0])).item(), 4)
    0.1429
    """
    target = _tensor(target, like=input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]

    if target.dtype.kind == "f":  # class probabilities: −Σ_c p_c log softmax(x)_c
        if target.ndim == input.ndim - 1:
            raise TypeError(
                f"cross_entropy: class-index targets must be an integer tensor, got "
                f"{target.dtype} (make them with chainrule.tensor([0, 2]) or y.long(); "
                f"Tensor(...) is always float32)"
            )
        _check_same_shape("cross_entropy", input, target)
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        logp = input.log_softmax(class_dim)
        if weight is not None:
            shape = (n_classes,) + (1,) * (input.ndim - class_dim - 1)
            logp = logp * weight.reshape(shape)
        loss = -(logp * target).sum(class_dim)
        return _reduce(loss, reduction, "cross_entropy")

    out_shape = target.shape
    x, t = _classes_last(input, target)
    if reduction == "mean" and weight is None and not label_smoothing:
        # The training loop's case: one fused node computes the mean (see ops.py).
        return apply("cross_entropy", x, t._data, ignore_index=ignore_index, mean=True)
    per_sample = apply("cross_entropy", x, t._data, ignore_index=ignore_index)  # (N,)
    valid = t._data != ignore_index
    if weight is not None:
        w = weight._data[np.where(valid, t._data, 0)] * valid  # weight[target], 0 if ignored
        per_sample = per_sample * w
        denominator = w.sum()
    else:
        denominator = int(valid.sum())
    if label_smoothing:
        # (1 − ε)·CE + ε·(−Σ_c w_c log p_c)/C: the target spread evenly is mixed in. As in
        # torch, the smoothing term weighs each class by its own weight w_c (1 without weight).
        logp = x.log_softmax(-1)
        if weight is not None:
            logp = logp * weight
        uniform = -logp.mean(-1) * valid.astype(x.dtype)
        per_sample = per_sample * (1 - label_smoothing) + uniform * label_smoothing
    if reduction == "none":
        return per_sample.reshape(out_shape)
    if reduction == "mean":
        return per_sample.sum() / denominator
    return _reduce(per_sample, reduction, "cross_entropy")


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood −input[n, target[n]] for log-probabilities ``input`` (N, C).

    ``cross_entropy(x, t)`` equals ``nll_loss(log_softmax(x, 1), t)``.

    >>> nll_loss(Tensor([[-0.5, -1.0]]), chainrule.tensor([1]))
    tensor(1.)
    """
    target = _tensor(target)
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"nll_loss: targets must be class indices (integers), got {target.dtype} "
            f"(make them with chainrule.tensor([0, 2]) or y.long())"
        )
    out_shape = target.shape
    x, t = _classes_last(input if input.ndim > 1 else input.unsqueeze(0), target.reshape(-1))
    valid = t._data != ignore_index
    safe = np.where(valid, t._data, 0)
    picked = x.gather(1, wrap(safe[:, None])).squeeze(1)  # input[n, t[n]]
    w = valid.astype(x.dtype)
    if weight is not None:
        w = w * weight._data[safe]
    per_sample = -picked * w
    if reduction == "none":
        return per_sample.reshape(out_shape)
    if reduction == "mean":
        return per_sample.sum() / w.sum()
    return _reduce(per_sample, reduction, "nll_loss")


def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean squared error (x − y)²; dL/dx = 2(x − y)/N for the mean.

    >>> mse_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0]))
    tensor(2.)
    """
    target = _tensor(target, like=input)
    if input.shape != target.shape:
        warnings.warn(
            f"mse_loss: target shape {target.shape} differs from input shape {input.shape}; "
            f"they will be broadcast, which is usually a bug",
            UserWarning,
            stacklevel=2,
        )
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean absolute error |x − y|; dL/dx = sign(x − y)/N for the mean.

    >>> l1_loss(Tensor([1.0, 2.0]), Tensor([1.0, 4.0]))
    tensor(1.)
    """
    target = _tensor(target, like=input)
    return _reduce((input - target).abs(), reduction, "l1_loss")


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
) -> Tensor:
    """−[y log p + (1 − y) log(1 − p)] for probabilities p; each log is clamped at −100 (as torch).

    >>> round(binary_cross_entropy(Tensor([0.5]), Tensor([1.0])).item(), 4)
    0.6931
    """
    target = _tensor(target, like=input)
    _check_same_shape("binary_cross_entropy", input, target)
    p = input._data
    if p.size and (p.min() < 0 or p.max() > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1")
    loss = apply("binary_cross_entropy", input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE on logits z: max(z, 0) − z·y + log(1 + e^(−|z|)); dL/dz = σ(z) − y. Stable for any z.

    ``pos_weight`` (e.g. shape (C,)) multiplies the positive term: −[p·y·log σ(z) + (1 − y)·log(1 − σ(z))].

    >>> round(binary_cross_entropy_with_logits(Tensor([0.0]), Tensor([1.0])).item(), 4)
    0.6931
    """
    target = _tensor(target, like=input)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is not None:
        pos_weight = _tensor(pos_weight, like=input)
    loss = apply("binary_cross_entropy_with_logits", input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


# ------------------------------------------------------------------------------------------------
# More activations, each composed from Tensor methods so its gradient comes from the chain rule
# --------------------------------------------------------------------------------------------------
def relu_(input: Tensor) -> Tensor:
    """max(0, x) written into ``input``; refused on a tensor that requires grad (use ``relu``).

    >>> x = Tensor([-1.0, 2.0]); _ = relu_(x); x
    tensor([0., 2.])
    """
    return input.relu_()


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(x, min_val, max_val); the gradient is 1 strictly inside the interval, 0 outside.

    Unlike ``clamp`` (whose gradient is 1 at the bounds too), torch's hardtanh passes no gradient
    at x = min_val or max_val, so the clamped value enters ``where`` as a constant.

    >>> hardtanh(Tensor([-2.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    inside = (input > min_val) & (input < max_val)
    return _fn.where(inside, input, input.detach().clamp(min_val, max_val))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6): hardtanh(x, 0, 6).

    >>> relu6(Tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else α(eˣ − 1); the gradient is 1 for x > 0, else αeˣ.

    ``expm1`` is taken of min(x, 0) so the branch ``where`` discards never overflows.

    >>> elu(Tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """
    return _fn.where(input > 0, input, input.clamp_max(0).expm1() * alpha)


# The fixed point of SELU's self-normalisation (Klambauer et al., 2017), PyTorch's constants.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale · elu(x, α) with α ≈ 1.6733, scale ≈ 1.0507, which keep activations near N(0, 1).

    >>> selu(Tensor([0.0, 1.0]))
    tensor([0.0000, 1.0507])
    """
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x · σ(x) (also called swish); the gradient is σ(x)(1 + x(1 − σ(x))).

    >>> silu(Tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    return input * input.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx)) / β, a smooth ReLU; it returns x itself where βx > threshold (as torch).

    The gradient is σ(βx). Above the threshold log(1 + e^(βx)) equals βx to float precision,
    and clamping βx there keeps ``exp`` of the discarded branch finite.

    >>> softplus(Tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.0000])
    """
    scaled = input * beta
    smooth = scaled.clamp_max(threshold).exp().log1p() / beta
    return _fn.where(scaled > threshold, input, smooth)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = min(x, 0) − log(1 + e^(−|x|)), a form that neither overflows nor loses digits.

    >>> logsigmoid(Tensor([0.0, -100.0]))
    tensor([  -0.6931, -100.0000])
    """
    return input.clamp_max(0) - (-input.abs()).exp().log1p()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x)) (Misra, 2019).

    >>> mish(Tensor([0.0, 1.0]))
    tensor([0.0000, 0.8651])
    """
    return input * softplus(input).tanh()


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6, a piecewise-linear σ: 0 below −3, 1 above 3.

    >>> hardsigmoid(Tensor([-4.0, 0.0, 4.0]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    return relu6(input + 3) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · relu6(x + 3) / 6 (MobileNetV3); 0 below −3 and x above 3.

    Written piecewise so the gradient at the kinks is torch's: (2x + 3)/6 on [−3, 3].

    >>> hardswish(Tensor([-4.0, 1.0, 4.0]))
    tensor([0.0000, 0.6667, 4.0000])
    """
    middle = input * (input + 3) / 6
    return _fn.where(input < -3, 0.0, _fn.where(input <= 3, middle, input))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|).

    >>> softsign(Tensor([1.0, -3.0]))
    tensor([ 0.5000, -0.7500])
    """
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x − tanh(x).

    >>> tanhshrink(Tensor([0.0]))
    tensor([0.])
    """
    return input - input.tanh()


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value`` (relu is threshold(x, 0, 0)).

    >>> threshold(Tensor([0.5, 2.0]), 1.0, -1.0)
    tensor([-1.,  2.])
    """
    return _fn.where(input > threshold, input, value)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``input`` in halves a, b along ``dim`` and return a · σ(b).

    >>> glu(Tensor([1.0, 0.0]))
    tensor([0.5000])
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2 != 0:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.ndim} is size {size}"
        )
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmin(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """softmax(−x) along ``dim``: the smallest score gets the largest probability.

    >>> softmin(Tensor([1.0, 2.0]), dim=0)
    tensor([0.7311, 0.2689])
    """
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return (-input).softmax(dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else a·x, with learnable slopes ``weight`` (one, or one per channel of dim 1).

    >>> prelu(Tensor([-2.0, 1.0]), Tensor([0.25]))
    tensor([-0.5000,  1.0000])
    """
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            channels = input.shape[1] if input.ndim >= 2 else 1
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {channels}."
            )
        # (C,) -> (C, 1, ..., 1) so it broadcasts over dim 1 of (N, C, *).
        weight = weight.reshape(weight.numel(), *([1] * (input.ndim - 2)))
    return _fn.where(input > 0, input, input * weight)


# ------------------------------------------------------------------------------------------------
# Normalisation, distances, lookups
# --------------------------------------------------------------------------------------------------
def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: None = None
) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim``: unit vectors, with eps guarding the zero vector.

    >>> normalize(Tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos θ = x₁·x₂ / (max(‖x₁‖, ε) max(‖x₂‖, ε)) along ``dim`` (the inputs broadcast).

    Each input is divided by its own norm before the dot product, as torch does, so large
    vectors cannot overflow the product.

    >>> cosine_similarity(Tensor([[1.0, 0.0]]), Tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """‖x₁ − x₂ + eps‖_p along the last dimension (eps keeps the gradient finite at x₁ = x₂).

    >>> pairwise_distance(Tensor([[0.0, 0.0]]), Tensor([[3.0, 4.0]]), eps=0.0)
    tensor([5.])
    """
    last = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, last, keepdim=keepdim)


def layer_norm(
    input: Tensor,
    normalized_shape: int | list[int] | tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """(x − mean) / √(var + eps) · γ + β over the last ``len(normalized_shape)`` dimensions.

    The variance is the biased one (divide by n), as in torch. Each example is normalised on
    its own, so the batch size does not matter and train and eval behave the same.

    >>> layer_norm(Tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{input.shape}"
        )
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, keepdim=True, correction=0)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1 of (N, C) or (N, C, L)) by batch or running statistics.

    In training, x̂ = (x − μ_B) / √(σ²_B + eps) with the batch's mean and biased variance, and
    the running statistics (if given) move towards the batch's, in place:
    ``running ← (1 − momentum)·running + momentum·batch`` (the variance unbiased, n/(n − 1)).
    ``momentum=None`` takes a cumulative average instead (the caller passes 1/num_batches).
    In evaluation the running statistics are used. Then y = γ x̂ + β.

    >>> batch_norm(Tensor([[1.0], [3.0]]), None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    channel_shape = (1, c) + (1,) * (input.ndim - 2)  # broadcast (C,) over (N, C, *)
    if training:
        dims = (0,) + tuple(range(2, input.ndim))
        n = input.numel() // c
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {input.shape}"
            )
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, keepdim=True, correction=0)
        if running_mean is not None and running_var is not None:
            m = 0.0 if momentum is None else momentum
            rm, rv = running_mean.numpy(), running_var.numpy()
            # The buffers are updated in place on their arrays: statistics are not in the graph.
            rm *= 1 - m
            rm += m * mean.numpy().reshape(c)
            rv *= 1 - m
            rv += m * var.numpy().reshape(c) * (n / (n - 1))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed in evaluation")
        mean = running_mean.reshape(channel_shape)
        var = running_var.reshape(channel_shape)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(channel_shape)
    if bias is not None:
        out = out + bias.reshape(channel_shape)
    return out


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) at integer ``input``: out[...] = W[i].

    The gradient adds each upstream row into ``W.grad[i]`` (repeated indices accumulate);
    the row at ``padding_idx`` gets no gradient. ``max_norm``, ``scale_grad_by_freq`` and
    ``sparse`` are not supported here.

    >>> embedding(chainrule.tensor([1, 0]), Tensor([[0.0, 1.0], [2.0, 3.0]]))
    tensor([[2., 3.],
            [0., 1.]])
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported in chainrule"
        )
    idx = _tensor(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {idx.dtype} instead (while checking arguments for embedding)"
        )
    rows = weight.index_select(0, idx.reshape(-1)).reshape(*idx.shape, weight.shape[1])
    if padding_idx is None:
        return rows
    pad = padding_idx % weight.shape[0]
    # Same values, but the padding positions take them from a detached copy: no gradient.
    is_pad = (idx == pad).unsqueeze(-1)
    return _fn.where(is_pad, rows.detach(), rows)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """yₖ = x₁ᵀ Aₖ x₂ + bₖ for weight A (out, in1, in2), over a shared batch of leading dims.

    >>> bilinear(Tensor([[1.0, 2.0]]), Tensor([[3.0]]), Tensor([[[1.0], [1.0]]]))
    tensor([[9.]])
    """
    out = _fn.einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias


def pad(input: Tensor, pad: tuple[int, ...], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad (or, with negative sizes, crop) the last dimensions: ``pad = (left, right, top, ...)``.

    Pairs are read from the last dimension backwards, as in torch. The new entries are
    ``value`` (``'constant'``), a mirror image without the edge (``'reflect'``: 2 1 | 0 1 2),
    copies of the edge (``'replicate'``: 0 0 | 0 1 2) or the other end (``'circular'``:
    1 2 | 0 1 2). Constant padding is a concatenation; the other modes pick input entries by
    index, so either way the gradient is the upstream gradient summed back onto the entries
    each output came from.

    >>> pad(Tensor([[1.0]]), (1, 2), value=9.0)
    tensor([[9., 1., 9., 9.]])
    >>> pad(Tensor([[0.0, 1.0, 2.0]]), (2, 1), mode="reflect")
    tensor([[2., 1., 0., 1., 2., 1.]])
    """
    if mode not in _PAD_INDEX:
        raise NotImplementedError(
            f"pad: mode must be one of 'constant', 'reflect', 'replicate', 'circular', got {mode!r}"
        )
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension"
        )
    n_dims = len(pad) // 2
    if mode != "constant" and input.ndim not in (n_dims + 1, n_dims + 2):
        # torch's rule: the padded dims are spatial, after (batch,) channel.
        raise NotImplementedError(
            f"pad: mode={mode!r} pads the last {n_dims} dim(s) of a {n_dims + 1}-D or "
            f"{n_dims + 2}-D input (batch, channels, ...), got a {input.ndim}-D input"
        )
    out = input
    for i in range(n_dims):
        dim = input.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if before < 0:
            out = out.narrow(dim, -before, out.shape[dim] + before)
        if after < 0:
            out = out.narrow(dim, 0, out.shape[dim] + after)
        before, after = max(before, 0), max(after, 0)
        if mode == "constant":
            blocks = []
            for size in (before, after):
                shape = list(out.shape)
                shape[dim] = size
                blocks.append(wrap(np.full(shape, value, dtype=input.dtype)))
            out = _fn.cat([blocks[0], out, blocks[1]], dim)
        elif before or after:
            n = out.shape[dim]
            if mode == "reflect" and max(before, after) >= n:
                raise RuntimeError(
                    f"pad: reflect padding ({before}, {after}) must be smaller than the size "
                    f"{n} of dim {dim}"
                )
            if mode == "circular" and max(before, after) > n:
                raise RuntimeError(
                    f"pad: circular padding ({before}, {after}) can wrap at most once around "
                    f"the size {n} of dim {dim}"
                )
            out = out.index_select(dim, _PAD_INDEX[mode](n, before, after))
    return out


def _reflect_index(n: int, before: int, after: int) -> np.ndarray:
    # Mirror about the first and last entries, which are not repeated: 2 1 | 0 1 2 | 1 0.
    return np.concatenate(
        [np.arange(before, 0, -1), np.arange(n), np.arange(n - 2, n - 2 - after, -1)]
    )


def _replicate_index(n: int, before: int, after: int) -> np.ndarray:
    # The edge entry, repeated: 0 0 | 0 1 2 | 2 2.
    return np.concatenate([np.zeros(before, int), np.arange(n), np.full(after, n - 1)])


def _circular_index(n: int, before: int, after: int) -> np.ndarray:
    # As if the dim were a ring: 1 2 | 0 1 2 | 0 1.
    return np.arange(-before, n + after) % n


_PAD_INDEX = {
    "constant": None,
    "reflect": _reflect_index,
    "replicate": _replicate_index,
    "circular": _circular_index,
}


# ------------------------------------------------------------------------------------------------
# More losses
# --------------------------------------------------------------------------------------------------
def smooth_l1_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """½d²/β where |d| < β, else |d| − ½β (d = x − y): quadratic near 0, then L1.

    The gradient is d/β inside and sign(d) outside: it never exceeds 1, so outliers pull less
    than under MSE. ``beta=0`` is exactly the L1 loss.

    >>> smooth_l1_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]))
    tensor(1.3125)
    """
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    target = _tensor(target, like=input)
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction, "smooth_l1_loss")
    loss = _fn.where(d.abs() < beta, d * d * (0.5 / beta), d.abs() - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """½d² where |d| < δ, else δ(|d| − ½δ): smooth_l1_loss with beta=δ, times δ.

    >>> huber_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), delta=2.0)
    tensor(2.0625)
    """
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    target = _tensor(target, like=input)
    d = input - target
    loss = _fn.where(d.abs() < delta, d * d * 0.5, (d.abs() - 0.5 * delta) * delta)
    return _reduce(loss, reduction, "huber_loss")


def kl_div(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target ‖ model) with ``input`` = log q: ℓ = p (log p − log q), summed as ``reduction``.

    ``input`` holds log-probabilities; ``target`` holds probabilities p (or log p if
    ``log_target``). Terms with p = 0 are 0 (the limit of p log p). ``reduction='batchmean'``
    divides the sum by the batch size, which is the KL divergence per example; ``'mean'``
    divides by the number of elements, and torch warns about it, as we do.

    >>> kl_div(Tensor([[0.0, -100.0]]), Tensor([[1.0, 0.0]]), reduction="batchmean")
    tensor(0.)
    """
    target = _tensor(target, like=input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = _fn.where(positive, target, 1.0)  # log(1) = 0 where p = 0; the term is 0 anyway
        loss = _fn.where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        batch = input.shape[0] if input.ndim > 0 else 1
        return loss.sum() / batch
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    return _reduce(loss, reduction, "kl_div")


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    *,
    reduction: str = "mean",
) -> Tensor:
    """max(0, −y(x₁ − x₂) + margin): y = 1 asks for x₁ above x₂ by ``margin``, y = −1 below.

    >>> margin_ranking_loss(Tensor([1.0]), Tensor([2.0]), Tensor([1.0]))
    tensor(1.)
    """
    target = _tensor(target, like=input1)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(
    input: Tensor, target: Tensor, margin: float = 1.0, *, reduction: str = "mean"
) -> Tensor:
    """x where y = 1, max(0, margin − x) where y = −1: pull similar pairs' distances x to 0,
    push dissimilar ones beyond ``margin``.

    >>> hinge_embedding_loss(Tensor([0.3, 0.2]), Tensor([1.0, -1.0]))
    tensor(0.5500)
    """
    target = _tensor(target, like=input)
    # As torch: target values other than ±1 contribute both terms.
    pushed = _fn.where(target != 1, (margin - input).clamp_min(0), 0.0)
    pulled = _fn.where(target != -1, input, 0.0)
    return _reduce(pushed + pulled, reduction, "hinge_embedding_loss")


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge: ℓₙ = Σ_{i ≠ y} max(0, margin − x[y] + x[i])^p / C (times weight[y]).

    Each wrong class whose score comes within ``margin`` of the right one costs. ``p`` is 1 or 2.

    >>> multi_margin_loss(Tensor([[0.1, 0.2, 0.4, 0.8]]), chainrule.tensor([3]))
    tensor(0.3250)
    """
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    target = _tensor(target)
    x = input if input.ndim > 1 else input.unsqueeze(0)  # (N, C)
    t = target.reshape(-1)
    n, c = x.shape
    if t.shape[0] != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got {tuple(target.shape)}")
    right = x.gather(1, t.unsqueeze(1))  # x[n, y[n]], (N, 1)
    hinge = (x - right + margin).clamp_min(0)
    if p == 2:
        hinge = hinge * hinge
    not_target = wrap(np.arange(c)[None, :] != t.numpy()[:, None])  # the i ≠ y terms
    hinge = _fn.where(not_target, hinge, 0.0)
    if weight is not None:
        hinge = hinge * weight.index_select(0, t).unsqueeze(1)
    loss = hinge.sum(1) / c
    if input.ndim <= 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "multi_margin_loss")

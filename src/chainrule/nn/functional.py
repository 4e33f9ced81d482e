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
    x_dtype, w_dtype = getattr(input, "dtype", None), getattr(weight, "dtype", None)
    if x_dtype is not None and w_dtype is not None and x_dtype != w_dtype:
        # PyTorch does not promote here: a float64 batch into a float32 layer is an error
        raise DTypeError(
            f"mat1 and mat2 must have the same dtype, but got {_TORCH_TYPE.get(x_dtype.name, x_dtype)} "
            f"and {_TORCH_TYPE.get(w_dtype.name, w_dtype)} (cast the input, e.g. x.float(), or "
            f"the model, e.g. model.double())"
        )
    return apply("linear", input, weight, bias)


_TORCH_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}


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

"""``torch.nn.utils``' gradient clipping and flat parameter vectors.

Clipping works on the gradients' arrays in place, after ``backward()`` and before
``optimizer.step()``, so the graph never sees it:

>>> from chainrule import nn
>>> model = nn.Linear(3, 1)
>>> model(chainrule.ones(4, 3)).sum().backward()
>>> total = clip_grad_norm_(model.parameters(), max_norm=1.0)
>>> float(chainrule.stack([p.grad.norm() for p in model.parameters()]).norm()) <= 1.0 + 1e-6
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from chainrule import functions as _fn
from chainrule._tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale all gradients together so their joint norm is at most ``max_norm``; return the norm.

    The joint norm is the ``norm_type``-norm of all gradient entries as one vector (the norm of
    the per-parameter norms). If it exceeds ``max_norm``, every gradient is multiplied by
    ``max_norm / (norm + 1e-6)``; the direction of the step is kept, only its length shrinks.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(0.0)
    arrays = [g.numpy() for g in grads]
    if norm_type == math.inf:
        per_param = np.array([np.abs(a).max() if a.size else 0.0 for a in arrays])
        total = per_param.max()
    else:
        per_param = np.array([np.linalg.norm(a.ravel(), norm_type) for a in arrays])
        total = np.linalg.norm(per_param, norm_type)
    total = np.asarray(total, dtype=arrays[0].dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    # torch multiplies by the clamped coefficient unconditionally (1.0 leaves grads unchanged).
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    for a in arrays:
        a *= np.asarray(coef, dtype=a.dtype)
    return Tensor(total, dtype=total.dtype)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient entry into ``[−clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            a = p.grad.numpy()
            np.clip(a, -clip_value, clip_value, out=a)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the parameters, each flattened, into one vector (differentiable).

    >>> from chainrule import nn
    >>> parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    chainrule.Size([8])
    """
    return _fn.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' data (the inverse of the above)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    flat = vec.numpy().reshape(-1)
    offset = 0
    for p in parameters:
        n = p.numel()
        dst = p.numpy()
        dst[...] = flat[offset : offset + n].reshape(dst.shape)
        offset += n

"""chainrule: backpropagation you can read.

Two autograd engines for the "MLPs & backpropagation" week of a deep-learning course:

- ``chainrule.scalar.Value``: a scalar engine in the style of micrograd, with graph
  drawing and a step-by-step backprop trace;
- ``chainrule.Tensor``: a NumPy tensor engine with PyTorch's names and semantics.

>>> from chainrule import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

# layers, losses, optimizers, data (imported after Tensor: they build on it)
# ``import chainrule.train`` and the other pre-layout module paths still work.
from chainrule import _moved, data, nn, optim
from chainrule._tensor import Tensor, float32, float64, int64

# tensor engine
from chainrule.autograd import (
    AnomalyError,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.creation import (
    arange,
    full,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from chainrule.finite_differences import GradcheckError, gradcheck
from chainrule.functions import cat, einsum, matmul, maximum, stack, where
from chainrule.lab import manual
from chainrule.lab.compare import compare_gradients
from chainrule.scalar import Value
from chainrule.viz.graph import draw_graph
from chainrule.viz.trace import explain

_moved.install()

__version__ = "0.1.0"

__all__ = [
    # scalar engine
    "Value",
    # seeing the graph
    "draw_graph",
    "explain",
    # tensor engine (added by the tensor-engine modules below)
    "Tensor",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "AnomalyError",
    "gradcheck",
    "GradcheckError",
    "tensor",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "full",
    "arange",
    "randn",
    "rand",
    "manual_seed",
    "cat",
    "stack",
    "where",
    "maximum",
    "einsum",
    "matmul",
    "float32",
    "float64",
    "int64",
    # modules, optimizers, data
    "nn",
    "optim",
    "data",
    # the lab: hand-written backward passes and the four-source gradient check
    "manual",
    "compare_gradients",
]

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
import multiprocessing  # ``torch.multiprocessing`` is the standard library's, extended

from chainrule import _moved, cuda, data, func, nn, optim, utils
from chainrule import autograd as autograd
from chainrule._tensor import Tensor
from chainrule._tensor.base import missing_attribute
from chainrule._tensor.device import device
from chainrule._tensor.dtypes import (
    bool_,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
    uint16,
    uint32,
    uint64,
)
from chainrule._tensor.printing import set_printoptions
from chainrule._tensor.size import Size

# tensor engine
from chainrule.autograd import (
    AnomalyError,
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.autograd_function import Function
from chainrule.creation import *  # noqa: F403 - torch's creation functions, listed in its __all__
from chainrule.creation import __all__ as _creation_names
from chainrule.finite_differences import GradcheckError, gradcheck, gradgradcheck
from chainrule.functions import *  # noqa: F403 - the torch-namespace functions
from chainrule.functions import __all__ as _function_names
from chainrule.lab import manual
from chainrule.lab.compare import compare_gradients
from chainrule.random import get_rng_state, initial_seed, seed, set_rng_state
from chainrule.scalar import Value
from chainrule.serialization import load, save
from chainrule.threads import get_num_threads, set_num_threads
from chainrule.viz.graph import draw_graph
from chainrule.viz.trace import explain

# The dtype names PyTorch keeps that are Python builtins here (``chainrule.float`` is float32).
# They are set as attributes, not imported names, so the builtins stay usable in this module.
globals().update({"float": float32, "int": int32, "bool": bool_})

# ``torch.autograd.gradcheck``: the lab's hint. The checks live a layer above the engine (they
# build tensors), so they are attached to the ``autograd`` package here, where both exist.
autograd.gradcheck = gradcheck
autograd.gradgradcheck = gradgradcheck
autograd.Function = Function

_moved.install()

__version__ = "0.1.0"

__all__ = [
    # scalar engine
    "Value",
    # seeing the graph
    "draw_graph",
    "explain",
    # tensor engine
    "Tensor",
    "Size",
    "dtype",
    "device",
    "set_printoptions",
    "no_grad",
    "enable_grad",
    "inference_mode",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "AnomalyError",
    "gradcheck",
    "gradgradcheck",
    "func",
    "GradcheckError",
    "autograd",
    "cuda",
    "save",
    "load",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "set_num_threads",
    "get_num_threads",
    *_creation_names,
    *_function_names,
    # dtypes
    "float16",
    "float32",
    "float64",
    "half",
    "double",
    "float",
    "int8",
    "int16",
    "int32",
    "int64",
    "short",
    "int",
    "long",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "bool_",
    "complex64",
    "complex128",
    "cfloat",
    "cdouble",
    # modules, optimizers, data
    "nn",
    "optim",
    "data",
    "utils",
    "multiprocessing",
    # the lab: hand-written backward passes and the four-source gradient check
    "manual",
    "compare_gradients",
]


def __getattr__(name: str) -> object:
    """A name PyTorch has and chainrule does not: say so, with the closest names we do have."""
    raise AttributeError(missing_attribute("module", name, __all__))

"""Neural-network building blocks with PyTorch's names: Module, Parameter, layers, losses.

>>> from chainrule import nn
>>> from chainrule.nn import functional as F
>>> model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
>>> sum(p.numel() for p in model.parameters())
203530
"""

from chainrule.nn import functional, init
from chainrule.nn.layers import (
    GELU,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ModuleList,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from chainrule.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from chainrule.nn.mlp import ACTIVATIONS, build_mlp
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter

__all__ = [
    "functional",
    "init",
    "Module",
    "Parameter",
    # the lecture's MLP, built in one place
    "ACTIVATIONS",
    "build_mlp",
    # layers
    "Linear",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Softmax",
    "Flatten",
    "Dropout",
    "Sequential",
    "ModuleList",
    # losses
    "MSELoss",
    "L1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
]

"""Neural-network building blocks with PyTorch's names: Module, Parameter, layers, losses.

>>> from chainrule import nn
>>> from chainrule.nn import functional as F
>>> model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
>>> sum(p.numel() for p in model.parameters())
203530
"""

from chainrule.nn import functional, init, utils
from chainrule.nn.activations import (
    ELU,
    GELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from chainrule.nn.containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from chainrule.nn.distance import CosineSimilarity, PairwiseDistance
from chainrule.nn.layers import Bilinear, Dropout, Embedding, Flatten, Identity, Linear, Unflatten
from chainrule.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from chainrule.nn.mlp import ACTIVATIONS, build_mlp
from chainrule.nn.module import Module
from chainrule.nn.normalization import BatchNorm1d, LayerNorm
from chainrule.nn.parameter import Parameter

__all__ = [
    "functional",
    "init",
    "utils",
    "Module",
    "Parameter",
    # the lecture's MLP, built in one place
    "ACTIVATIONS",
    "build_mlp",
    # layers
    "Linear",
    "Bilinear",
    "Embedding",
    "Identity",
    "Flatten",
    "Unflatten",
    "Dropout",
    # normalisation
    "BatchNorm1d",
    "LayerNorm",
    # activations
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Softplus",
    "Sigmoid",
    "LogSigmoid",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "Tanh",
    "Tanhshrink",
    "Softsign",
    "Threshold",
    "GLU",
    "Softmax",
    "Softmin",
    "LogSoftmax",
    # distances
    "CosineSimilarity",
    "PairwiseDistance",
    # containers
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    # losses
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "KLDivLoss",
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "MultiMarginLoss",
]

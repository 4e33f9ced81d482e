"""The Tensor class, in a private package so that ``chainrule.tensor`` stays the function.

Read ``tensor.py`` first: it says what a tensor holds and lists the files its methods live in.
"""

from chainrule._tensor.dispatch import Operand, Scalar
from chainrule._tensor.dtypes import DTypeLike, float32, float64, int64
from chainrule._tensor.tensor import Tensor, as_tensor, parse_to_arguments

__all__ = [
    "DTypeLike",
    "Operand",
    "Scalar",
    "Tensor",
    "as_tensor",
    "float32",
    "parse_to_arguments",
    "float64",
    "int64",
]

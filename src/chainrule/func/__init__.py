"""``chainrule.func``: derivatives as functions that return functions, after ``torch.func``.

``grad(f)`` is a new function that returns f's gradient; so are ``jacrev(f)``, ``jacfwd(f)``
and ``hessian(f)``, and since each result is an ordinary function built from recorded tensor
ops, they compose: ``jacfwd(jacrev(f))`` is the Hessian, ``grad(grad(f))`` a second derivative.

- ``transforms.py``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian;
- ``batching.py``: vmap (a loop over the batch dimension: B calls of the function);
- ``stateless.py``: functional_call, a module run with parameters you pass in.

>>> import chainrule as torch
>>> from chainrule.func import grad
>>> grad(lambda x: (x**3).sum())(torch.tensor([1.0, 2.0]))  # 3x²
tensor([ 3., 12.])
"""

from chainrule.func.batching import vmap
from chainrule.func.stateless import functional_call
from chainrule.func.transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp

__all__ = [
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "vmap",
    "functional_call",
]

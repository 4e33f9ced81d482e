"""Check autograd against finite differences, the way ``torch.autograd.gradcheck`` does.

For every input element x_k that requires grad, the numeric derivative is the central difference

    ∂f_j/∂x_k ≈ (f_j(x + eps·e_k) − f_j(x − eps·e_k)) / (2·eps)

and the analytic one is row j of the Jacobian, obtained by backpropagating the one-hot vector e_j
(a vector-Jacobian product per output element, so non-scalar outputs are checked in full). An
entry passes when |analytic − numeric| ≤ atol + rtol·|numeric| (torch's rule and defaults).
Central differences have error O(eps²) but suffer rounding of order ε_machine/eps, which is why
the check is meant for float64 (ε ≈ 1e-16): in float32 (ε ≈ 1e-7) eps = 1e-6 is pure noise.

>>> from chainrule import Tensor
>>> x = Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
>>> gradcheck(lambda t: (t * t).sum(), (x,))
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from chainrule import autograd
from chainrule._tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "GradcheckReport", "GradcheckRow"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with finite differences."""


@dataclass(frozen=True)
class GradcheckRow:
    """One Jacobian entry: d output[output] / d inputs[input][index]."""

    input: int
    index: tuple[int, ...]
    output: tuple[int, ...]
    analytic: float
    numeric: float
    error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.error <= self.tolerance


class GradcheckReport:
    """Every Jacobian entry gradcheck compared, as data (``rows``) and as a table (``str``)."""

    max_rows_shown = 40

    def __init__(self, rows: list[GradcheckRow], multi_output: bool) -> None:
        self.rows = rows
        self._multi_output = multi_output

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def worst(self) -> GradcheckRow | None:
        """The entry furthest past (or closest to) its tolerance."""
        return max(self.rows, key=lambda r: r.error - r.tolerance, default=None)

    def __bool__(self) -> bool:
        return self.passed

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __str__(self) -> str:
        head = (
            f"{'input':>5}  {'element':<12} {'output':<10} {'analytic':>13} {'numeric':>13} "
            f"{'|diff|':>10} {'tol':>10}  ok"
        )
        lines = [head, "-" * len(head)]
        shown = self.rows[: self.max_rows_shown]
        worst = self.worst
        if worst is not None and worst not in shown:
            shown = shown + [worst]
        for r in shown:
            lines.append(
                f"{r.input:>5}  {str(list(r.index)):<12} {str(list(r.output)):<10} "
                f"{r.analytic:>13.6g} {r.numeric:>13.6g} {r.error:>10.2e} {r.tolerance:>10.2e}  "
                f"{'yes' if r.ok else 'NO'}"
            )
        if len(self.rows) > len(shown):
            lines.append(f"... {len(self.rows) - len(shown)} more rows (the worst one is shown)")
        bad = sum(not r.ok for r in self.rows)
        verdict = "PASSED" if bad == 0 else f"FAILED ({bad} of {len(self.rows)} entries)"
        lines.append(f"gradcheck {verdict}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<GradcheckReport {'passed' if self.passed else 'FAILED'}: {len(self.rows)} entries>"
        )


def central_difference(f: Callable[[], Any], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Return the Jacobian of ``f()`` with respect to the entries of ``x``, by central differences.

    Column k is (f(x + eps·e_k) − f(x − eps·e_k)) / (2·eps), shape (f().size, x.size). ``x`` is
    perturbed in place, one entry at a time (``f`` reads it), and always restored.

    >>> x = np.array([1.0, 2.0])
    >>> central_difference(lambda: (x**2).sum(), x).round(6)
    array([[2., 4.]])
    """
    columns = []
    for k in range(x.size):
        x_k = x.flat[k]
        try:
            x.flat[k] = x_k + eps
            plus = np.asarray(f(), dtype=np.float64).ravel()
            x.flat[k] = x_k - eps
            minus = np.asarray(f(), dtype=np.float64).ravel()
        finally:
            x.flat[k] = x_k
        columns.append((plus - minus) / (2 * eps))
    if not columns:
        return np.zeros((np.asarray(f()).size, 0))
    return np.stack(columns, axis=1)


def _outputs(result: Any) -> tuple[Tensor, ...]:
    outs = result if isinstance(result, (tuple, list)) else (result,)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return tuple(o for o in outs if o.dtype.kind == "f")


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    report: bool = False,
    raise_exception: bool = True,
) -> "bool | GradcheckReport":
    """Compare ``fn``'s autograd Jacobian with central differences; return True or raise.

    Rule: pass iff |analytic − numeric| ≤ atol + rtol·|numeric| for every entry. Inputs that
    require grad should be float64 (a UserWarning says so otherwise). ``report=True`` returns a
    :class:`GradcheckReport` (one row per Jacobian entry) instead of raising.

    >>> from chainrule import Tensor
    >>> w = Tensor([[1.0, 2.0]], dtype="float64", requires_grad=True)
    >>> table = gradcheck(lambda w: (w ** 2).sum(), (w,), report=True)
    >>> table.passed, [(r.index, round(r.numeric, 6)) for r in table.rows]
    (True, [((0, 0), 2.0), ((0, 1), 4.0)])
    """
    args = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    not64 = [f"input {i} is {args[i].dtype}" for i in checked if args[i].dtype != np.float64]
    if not64:
        warnings.warn(
            "gradcheck: inputs should be float64 (" + ", ".join(not64) + "); finite "
            f"differences with eps={eps} are dominated by rounding error in lower precision",
            UserWarning,
            stacklevel=2,
        )
    targets = [args[i] for i in checked]

    # Analytic Jacobian, one row per output element: J[j, :] = e_jᵀ J via a VJP.
    with autograd.enable_grad():
        outputs = _outputs(fn(*args))
    analytic = []  # per output: list (per checked input) of arrays (out.size, in.size)
    for out in outputs:
        blocks = [np.zeros((out._data.size, t._data.size)) for t in targets]
        if out.requires_grad:
            for j in range(out._data.size):
                e_j = np.zeros(out.shape, dtype=out.dtype)
                e_j.flat[j] = 1
                grads = autograd.grad(out, targets, e_j, retain_graph=True, allow_unused=True)
                for block, g in zip(blocks, grads):
                    if g is not None:
                        block[j] = g._data.ravel()
        analytic.append(blocks)

    # Numeric Jacobian, one column per input element. Each input is perturbed in a private
    # copy of its array, so the caller's data (and the recorded graph) are never touched.
    numeric = [[np.zeros_like(b) for b in blocks] for blocks in analytic]
    for col, t in enumerate(targets):
        original = t._data
        work = original.copy()
        t._data = work
        try:
            with autograd.no_grad():
                # every output, flattened and joined, so one pass of differences covers them all
                jacobian = central_difference(
                    lambda: np.concatenate(
                        [o._data.astype(np.float64).ravel() for o in _outputs(fn(*args))]
                    ),
                    work,
                    eps,
                )
            start = 0
            for o, out in enumerate(outputs):
                numeric[o][col][:] = jacobian[start : start + out._data.size]
                start += out._data.size
        finally:
            t._data = original

    rows = []
    for o, out in enumerate(outputs):
        for col, i in enumerate(checked):
            a_block, n_block = analytic[o][col], numeric[o][col]
            for j in range(a_block.shape[0]):
                out_index = tuple(int(v) for v in np.unravel_index(j, out.shape))
                if len(outputs) > 1:
                    out_index = (o,) + out_index
                for k in range(a_block.shape[1]):
                    a, n = float(a_block[j, k]), float(n_block[j, k])
                    rows.append(
                        GradcheckRow(
                            input=i,
                            index=tuple(int(v) for v in np.unravel_index(k, args[i].shape)),
                            output=out_index,
                            analytic=a,
                            numeric=n,
                            error=abs(a - n),
                            tolerance=atol + rtol * abs(n),
                        )
                    )
    result = GradcheckReport(rows, multi_output=len(outputs) > 1)
    if report:
        return result
    if result.passed:
        return True
    if not raise_exception:
        return False
    w = result.worst
    assert w is not None
    where = f"input {w.input}, element {list(w.index)}"
    if w.output:
        where += f", output element {list(w.output)}"
    bad = sum(not r.ok for r in rows)
    raise GradcheckError(
        f"gradcheck: Jacobian mismatch at {where}: analytic {w.analytic:.6g}, numeric "
        f"{w.numeric:.6g}, error {w.error:.3g} > tolerance {w.tolerance:.3g} "
        f"(atol={atol}, rtol={rtol}); {bad} of {len(rows)} entries fail"
    )


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    grad_outputs: Tensor | Sequence[Tensor] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    report: bool = False,
    raise_exception: bool = True,
) -> "bool | GradcheckReport":
    """Check second derivatives: :func:`gradcheck` of the recorded first derivative.

    As ``torch.autograd.gradcheck.gradgradcheck``: the function checked is
    (inputs, v) -> vᵀ J(inputs), computed with ``create_graph=True``, and its Jacobian with
    respect to both the inputs (the second derivatives) and v (the first-order VJP's
    linearity) is compared with central differences. ``grad_outputs`` (v) is random if omitted.

    >>> from chainrule import Tensor
    >>> x = Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda t: (t ** 3).sum(), (x,))
    True
    """
    args = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    with autograd.enable_grad():
        outputs = _outputs(fn(*args))
    if grad_outputs is None:
        rng = np.random.default_rng(0)  # fixed, so a failure can be reproduced
        vs = tuple(
            Tensor._wrap(rng.standard_normal(o.shape).astype(o.dtype)).requires_grad_()
            for o in outputs
        )
    else:
        given = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
        vs = tuple(v.detach().requires_grad_() for v in given)
    n = len(args)

    def first_derivatives(*everything: Any) -> tuple[Tensor, ...]:
        ins, seeds = everything[:n], everything[n:]
        with autograd.enable_grad():
            outs = _outputs(fn(*ins))
            wanted = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
            live = [(o, v) for o, v in zip(outs, seeds) if o.requires_grad]
            if not live:
                return tuple(Tensor._wrap(np.zeros_like(t._data)) for t in wanted)
            grads = autograd.grad(
                [o for o, _ in live],
                wanted,
                [v for _, v in live],
                create_graph=True,
                allow_unused=True,
            )
        return tuple(
            Tensor._wrap(np.zeros_like(t._data)) if g is None else g for g, t in zip(grads, wanted)
        )

    return gradcheck(
        first_derivatives,
        args + vs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        report=report,
        raise_exception=raise_exception,
    )

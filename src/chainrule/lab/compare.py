"""Four gradients for one model, side by side: the lab's "check your backward pass".

``compare_gradients(model, loss, x, y)`` takes a ``chainrule.lab.manual`` network (your
hand-written backward passes, or the reference ones) and computes every parameter's
gradient four ways:

1. **hand**: the network's own ``backward``;
2. **autograd**: the same network rebuilt from ``chainrule.Tensor`` ops;
3. **numeric**: central finite differences, in float64, of the network's forward;
4. **torch**: PyTorch's autograd on the same weights (when PyTorch is installed).

Weights use PyTorch's layout, W of shape (d_out, d_in), so a gradient written for
PyTorch (``dW = delta.T @ X``) is the right one here. An ``nn.Module`` works too: then
chainrule's autograd is the source under test, checked against finite differences and
PyTorch, and parameters are named as ``named_parameters()`` names them.

It reports, per parameter, the worst absolute and relative difference between every
pair, a verdict, and, when the hand gradient is off, the likely mistake (transposed,
missing 1/B, wrong sign ...). ``forward_mode=True`` adds a fifth, **forward**: forward-mode
JVPs, one pass per parameter entry, when the tensor engine has ``autograd.forward_ad``.

``compare_scalar_gradients(f, primals)`` does the same for a scalar-engine function, by both
modes of automatic differentiation on one graph and by dual numbers (see below).

>>> import numpy as np
>>> from chainrule.lab import manual
>>> rng = np.random.default_rng(0)
>>> net = manual.Sequential(manual.Linear(rng.normal(size=(4, 3)), np.zeros(4)), manual.ReLU(),
...                         manual.Linear(rng.normal(size=(2, 4)), np.zeros(2)))
>>> report = compare_gradients(net, manual.SoftmaxCrossEntropy(), rng.normal(size=(5, 3)),
...                            np.array([0, 1, 1, 0, 1]))
>>> report.ok
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from chainrule.finite_differences import central_difference
from chainrule.lab import manual
from chainrule.scalar import Value, forward_gradient, jvp

#: How close two gradients must be (relative to the larger) to count as agreeing.
#: float64 hand/autograd/torch agree to ~1e-12; finite differences to ~1e-8.
TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3}

TOLERANCE_NOTE = """\
Why the tolerances differ: float64 carries about 16 significant digits and float32
about 7 (machine epsilon 2.2e-16 vs 1.2e-7). Two correct implementations that add the
same numbers in a different order (a matrix product split differently, a sum over
the batch done first or last) differ by a few epsilons times the size of the terms:
about 1e-12 relative in float64, but 1e-6 to 1e-4 in float32, more when large terms
cancel. Finite differences add their own error: the step h leaves a truncation
error of order h², and dividing a difference of two nearly equal losses by 2h
amplifies rounding by 1/h. In float64 the best h (about 1e-6) gives roughly 1e-8
to 1e-10 relative; in float32 no h is good, which is why gradcheck wants float64.
So: judge a float64 comparison at 1e-6 and a float32 one at 1e-3."""


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a − b| relative to the larger magnitude of the two arrays (0 when both are 0)."""
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) / scale if scale > 0 else 0.0


def diagnose(
    got: np.ndarray, expected: np.ndarray, batch_size: int | None = None, tol: float = 1e-6
) -> str | None:
    """Name the likely mistake when ``got`` should equal ``expected``; None if they agree.

    >>> diagnose(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 3.0], [2.0, 4.0]]))
    'transposed: your gradient equals the transpose of the correct one'
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        if got.T.shape == expected.shape and _rel(got.T, expected) < tol:
            return (
                f"transposed: shape {got.shape} should be {expected.shape}, its parameter's own "
                "shape (weights are (out, in), as in PyTorch)"
            )
        return f"wrong shape: {got.shape}, expected {expected.shape}"
    if _rel(got, expected) < tol:
        return None
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _rel(got.T, expected) < tol:
        return "transposed: your gradient equals the transpose of the correct one"
    if _rel(-got, expected) < tol:
        return "sign: your gradient is the negative of the correct one"
    if batch_size and batch_size > 1:
        if _rel(got / batch_size, expected) < tol:
            return f"missing 1/B: your gradient is {batch_size}x too large (sum over the batch, not the mean)"
        if _rel(got * batch_size, expected) < tol:
            return f"extra 1/B: your gradient is {batch_size}x too small (divided by the batch size twice)"
    nz = np.abs(expected) > 0
    if nz.any():
        ratio = got[nz] / expected[nz]
        if np.allclose(ratio, ratio[0], rtol=tol) and abs(ratio[0]) > tol:
            return f"scaled: your gradient is {ratio[0]:.6g} times the correct one"
    if not np.any(got):
        return "all zeros: the gradient never reached this parameter"
    worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
    return (
        f"differs most at index {tuple(int(i) for i in worst)}: "
        f"{got[worst]:.6g} instead of {expected[worst]:.6g}"
    )


@dataclass
class ParameterComparison:
    """One parameter's gradients from each source and how far apart they are."""

    name: str
    shape: tuple[int, ...]
    grads: dict[str, np.ndarray]
    abs_err: dict[tuple[str, str], float] = field(default_factory=dict)
    rel_err: dict[tuple[str, str], float] = field(default_factory=dict)
    verdict: str = ""
    ok: bool = True


@dataclass
class GradientReport:
    """The four-source comparison: a row per parameter, plus the overall verdict."""

    params: list[ParameterComparison]
    sources: list[str]
    dtype: np.dtype
    tolerance: float
    loss: float
    #: How the verdict names what is wrong (the scalar comparison has no hand-written part).
    blame: str = "the hand-written backward is wrong for"
    #: Sentences about sources that could not run (forward mode without ``forward_ad``).
    notes: list[str] = field(default_factory=list)
    judged: str = "hand"  # the source under test: "hand", or "autograd" for an nn.Module

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.params)

    def bad(self) -> list[ParameterComparison]:
        """The parameters whose hand-written gradient disagrees with the references."""
        return [p for p in self.params if not p.ok]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per (parameter, pair of sources)."""
        return [
            {
                "param": p.name,
                "pair": f"{a} vs {b}",
                "max_abs": p.abs_err[(a, b)],
                "max_rel": p.rel_err[(a, b)],
            }
            for p in self.params
            for (a, b) in p.abs_err
        ]

    def __str__(self) -> str:
        pairs = list(combinations(self.sources, 2))
        head = ["param", "shape"] + [f"{a}~{b}" for a, b in pairs] + ["verdict"]
        body = [
            [p.name, str(p.shape)] + [f"{p.rel_err[k]:.1e}" for k in pairs] + [p.verdict]
            for p in self.params
        ]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines = [
            f"Gradient comparison ({np.dtype(self.dtype).name}, loss {self.loss:.6g}): "
            f"max relative difference per pair, tolerance {self.tolerance:g}",
            "  ".join(h.ljust(w) for h, w in zip(head, widths)),
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in body]
        bad = self.bad()
        lines.append(
            "VERDICT: all sources agree."
            if not bad
            else f"VERDICT: {self.blame if self.judged == 'hand' else 'autograd is wrong for'} "
            + ", ".join(p.name for p in bad)
            + "."
        )
        lines.extend(f"Note: {n}" for n in self.notes)
        lines.append("")
        lines.append(TOLERANCE_NOTE)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html  # noqa: PLC0415

        return "<pre>" + html.escape(str(self)) + "</pre>"


# ---- the four sources --------------------------------------------------------------------------
def _numeric(
    model: manual.Sequential, loss: Any, x: np.ndarray, y: np.ndarray, eps: float = 1e-6
) -> dict[str, np.ndarray]:
    """Central differences of the loss for every parameter entry, computed in float64."""
    originals = [dict(layer.params) for layer in model.layers]
    for layer in model.layers:  # float64 copies, whatever the model's dtype
        for k in layer.params:
            layer.params[k] = layer.params[k].astype(np.float64)
    x64 = x.astype(np.float64)
    out = {}
    try:
        for name, p in model.named_params().items():
            jacobian = central_difference(lambda: loss.forward(model.forward(x64), y), p, eps)
            out[name] = jacobian.reshape(p.shape)  # one scalar loss: a single row
    finally:
        for layer, params in zip(model.layers, originals):
            layer.params.update(params)
    return out


def _autograd(
    model: manual.Sequential, loss: Any, x: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray]:
    """Rebuild the network from Tensor ops and let chainrule's autograd differentiate it."""
    from chainrule._tensor import Tensor, as_tensor  # noqa: PLC0415
    from chainrule.nn import functional as F  # noqa: PLC0415

    leaves: dict[str, Tensor] = {}
    h = as_tensor(x)
    for i, layer in enumerate(model.layers):
        if isinstance(layer, manual.Linear):
            W = leaves[f"{i}.W"] = as_tensor(layer.params["W"].copy()).requires_grad_()
            b = leaves[f"{i}.b"] = as_tensor(layer.params["b"].copy()).requires_grad_()
            h = h @ W.T + b  # (B, d_in) @ (d_in, d_out) + (d_out,), W is (d_out, d_in)
        elif isinstance(layer, manual.ReLU):
            h = h.relu()
        elif isinstance(layer, manual.Sigmoid):
            h = h.sigmoid()
        else:
            raise TypeError(
                f"compare_gradients: no autograd equivalent for layer {i} "
                f"({type(layer).__name__}); subclass manual.Linear, ReLU or Sigmoid"
            )
    out = _loss_tensor(loss, h, y, F, as_tensor)
    out.backward()
    return {k: t.grad.numpy() for k, t in leaves.items()}


def _loss_tensor(loss: Any, h: Any, y: np.ndarray, F: Any, as_tensor: Any) -> Any:
    if _is_cross_entropy(loss):
        return F.cross_entropy(h, as_tensor(np.asarray(y, dtype=np.int64)))
    if isinstance(loss, manual.MSE) or type(loss).__name__ == "MSELoss":
        return F.mse_loss(h, as_tensor(np.asarray(y, dtype=h.dtype)))
    raise TypeError(
        f"compare_gradients: unsupported loss {type(loss).__name__}; "
        "use manual.SoftmaxCrossEntropy or manual.MSE (or subclasses)"
    )


def _torch(
    model: manual.Sequential, loss: Any, x: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray] | None:
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return None
    leaves = {}
    h = torch.from_numpy(x.copy())
    for i, layer in enumerate(model.layers):
        if isinstance(layer, manual.Linear):
            W = leaves[f"{i}.W"] = torch.tensor(layer.params["W"], requires_grad=True)
            b = leaves[f"{i}.b"] = torch.tensor(layer.params["b"], requires_grad=True)
            h = torch.nn.functional.linear(h, W, b)  # the same (d_out, d_in) layout
        elif isinstance(layer, manual.ReLU):
            h = torch.relu(h)
        else:
            h = torch.sigmoid(h)
    if isinstance(loss, manual.SoftmaxCrossEntropy):
        value = torch.nn.functional.cross_entropy(
            h, torch.from_numpy(np.asarray(y, dtype=np.int64))
        )
    else:
        value = torch.nn.functional.mse_loss(h, torch.from_numpy(np.asarray(y, dtype=x.dtype)))
    value.backward()
    return {k: t.grad.numpy() for k, t in leaves.items()}


def _forward(
    model: manual.Sequential, loss: Any, x: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray] | None:
    """Forward mode: one JVP per parameter entry, its tangent one-hot (the course's n passes).

    None when the tensor engine has no forward mode (no ``chainrule.autograd.forward_ad``).
    """
    from chainrule import autograd  # noqa: PLC0415 - as in _autograd: the Tensor side, on demand

    if not hasattr(autograd, "forward_ad"):
        return None
    out: dict[str, np.ndarray] = {}
    for name, p in model.named_params().items():
        flat = np.zeros(p.size)
        for k in range(p.size):
            seed = np.zeros(p.size, dtype=p.dtype)
            seed[k] = 1.0  # move only entry k of this parameter
            flat[k] = _directional(model, loss, x, y, name, seed.reshape(p.shape))
        out[name] = flat.reshape(p.shape)
    return out


def _directional(
    model: manual.Sequential, loss: Any, x: np.ndarray, y: np.ndarray, name: str, seed: np.ndarray
) -> float:
    """d loss along ``seed`` for the parameter ``name``: one forward pass with dual tensors."""
    from chainrule._tensor import as_tensor  # noqa: PLC0415
    from chainrule.autograd import forward_ad as fwd  # noqa: PLC0415 - checked by _forward
    from chainrule.nn import functional as F  # noqa: PLC0415

    with fwd.dual_level():
        h = as_tensor(x)
        for i, layer in enumerate(model.layers):
            if isinstance(layer, manual.Linear):
                W, b = (as_tensor(layer.params[k].copy()) for k in ("W", "b"))
                if name == f"{i}.W":
                    W = fwd.make_dual(W, as_tensor(seed))
                if name == f"{i}.b":
                    b = fwd.make_dual(b, as_tensor(seed))
                h = h @ W.t() + b  # W is (d_out, d_in), as in PyTorch
            elif isinstance(layer, manual.ReLU):
                h = h.relu()
            else:
                h = h.sigmoid()
        tangent = fwd.unpack_dual(_loss_tensor(loss, h, y, F, as_tensor)).tangent
    return 0.0 if tangent is None else float(tangent.item())


def _module_sources(
    model: Any, loss: Any, x: np.ndarray, y: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]], float]:
    """An nn.Module's gradients from chainrule's autograd, finite differences and PyTorch."""
    import copy  # noqa: PLC0415 - only this path copies a model

    from chainrule._tensor import as_tensor  # noqa: PLC0415
    from chainrule.autograd.grad_mode import no_grad  # noqa: PLC0415
    from chainrule.nn import functional as F  # noqa: PLC0415

    named = dict(model.named_parameters())
    if not named:
        raise ValueError("compare_gradients: the model has no parameters to compare")
    params = {k: p.numpy() for k, p in named.items()}
    dtype = next(iter(params.values())).dtype
    saved = {k: None if p.grad is None else p.grad.numpy().copy() for k, p in named.items()}
    for p in named.values():
        p.grad = None
    value = _loss_tensor(loss, model(as_tensor(np.asarray(x, dtype=dtype))), y, F, as_tensor)
    value.backward()
    sources = {"autograd": {k: p.grad.numpy().copy() for k, p in named.items()}}
    for k, p in named.items():  # leave .grad as the caller had it
        p.grad = None if saved[k] is None else as_tensor(saved[k])

    twin = copy.deepcopy(model).double()  # finite differences want float64, whatever the model
    x64 = as_tensor(np.asarray(x, dtype=np.float64))

    def f() -> float:
        with no_grad():
            return _loss_tensor(loss, twin(x64), y, F, as_tensor).item()

    sources["numeric"] = {
        k: central_difference(f, p.numpy(), 1e-6).reshape(p.shape)
        for k, p in twin.named_parameters()
    }
    torch_grads = _torch_module(model, loss, np.asarray(x, dtype=dtype), y)
    if torch_grads is not None:
        sources["torch"] = torch_grads
    return params, sources, float(value.item())


def _torch_module(model: Any, loss: Any, x: np.ndarray, y: np.ndarray) -> dict | None:
    """PyTorch's gradients for the same module (None without torch or for a layer it lacks)."""
    try:
        import torch  # noqa: PLC0415

        from chainrule.interop import to_torch  # noqa: PLC0415 - needs torch
    except ImportError:
        return None
    try:
        twin = to_torch(model)
    except (TypeError, ValueError, NotImplementedError):
        return None  # a layer interop cannot translate: three sources are still a check
    try:
        out = twin(torch.from_numpy(x.copy()))
        if _is_cross_entropy(loss):
            target = torch.from_numpy(np.asarray(y, np.int64))
            value = torch.nn.functional.cross_entropy(out, target)
        else:
            target = torch.from_numpy(np.asarray(y, dtype=x.dtype))
            value = torch.nn.functional.mse_loss(out, target)
        value.backward()
    except (TypeError, ValueError, NotImplementedError, AttributeError, RuntimeError):
        # The module's own code does not run on torch (a chainrule-only Function, say).
        return None
    return {k: p.grad.numpy() for k, p in twin.named_parameters()}


def _is_cross_entropy(loss: Any) -> bool:
    return isinstance(loss, manual.SoftmaxCrossEntropy) or type(loss).__name__ == "CrossEntropyLoss"


def compare_gradients(
    model: manual.Sequential | Any,
    loss: Any,
    x: np.ndarray,
    y: np.ndarray,
    tolerance: float | None = None,
    forward_mode: bool = False,
) -> GradientReport:
    """Compute each parameter's gradient four ways and report how well they agree.

    ``model`` is a ``manual.Sequential`` whose layers subclass ``manual.Linear``,
    ``manual.ReLU`` or ``manual.Sigmoid`` (override ``backward`` with your own), or a
    ``chainrule.nn.Module`` (then autograd is judged against finite differences and PyTorch);
    ``loss`` is a ``manual.SoftmaxCrossEntropy`` or ``manual.MSE`` (or, for a module,
    ``nn.CrossEntropyLoss`` / ``nn.MSELoss``). The comparison runs in the parameters' dtype
    (use float64 for a strict check; float32 shows the gap explained in ``TOLERANCE_NOTE``).
    ``forward_mode=True`` adds forward-mode gradients of a ``manual.Sequential`` when the tensor
    engine has ``autograd.forward_ad`` (a note says so otherwise).
    """
    if hasattr(model, "named_parameters") and not isinstance(model, manual.Layer):
        params, sources, value = _module_sources(model, loss, x, y)
        judged, reference = "autograd", "numeric"
        dtype = next(iter(params.values())).dtype
    else:
        params = model.named_params()
        if not params:
            raise ValueError("compare_gradients: the model has no parameters to compare")
        dtype = next(iter(params.values())).dtype
        x = np.asarray(x, dtype=dtype)  # the comparison runs in the parameters' dtype
        value = loss.forward(model.forward(x), y)
        model.backward(loss.backward())
        sources = {"hand": {k: np.array(v) for k, v in model.named_grads().items()}}
        sources["autograd"] = _autograd(model, loss, x, y)
        sources["numeric"] = _numeric(model, loss, x, y)
        torch_grads = _torch(model, loss, x, y)
        if torch_grads is not None:
            sources["torch"] = torch_grads
        judged, reference = "hand", "autograd"
    tol = tolerance if tolerance is not None else TOLERANCE.get(np.dtype(dtype), 1e-3)
    notes = []
    if forward_mode:
        forward = _forward(model, loss, x, y) if judged == "hand" else None
        if judged != "hand":
            notes.append("forward mode skipped: it runs on a manual.Sequential, not an nn.Module")
        elif forward is None:
            notes.append("forward mode skipped: this tensor engine has no autograd.forward_ad")
        else:
            sources["forward"] = forward

    names = list(sources)
    batch = np.shape(x)[0]
    rows = []
    for pname, p in params.items():
        grads = {s: sources[s].get(pname) for s in names}
        row = ParameterComparison(pname, tuple(p.shape), grads)
        for a, b in combinations(names, 2):
            ga, gb = grads[a], grads[b]
            if ga is None or gb is None or np.shape(ga) != np.shape(gb):
                row.abs_err[(a, b)] = row.rel_err[(a, b)] = float("inf")
            else:
                row.abs_err[(a, b)] = float(np.max(np.abs(ga.astype(np.float64) - gb), initial=0.0))
                row.rel_err[(a, b)] = _rel(ga.astype(np.float64), gb.astype(np.float64))
        # The references (every source but the one under test) must agree among
        # themselves; then the source under test is judged against the reference.
        refs_ok = all(
            row.rel_err[k] < max(tol, 1e-4 if "numeric" in k else tol)
            for k in row.rel_err
            if judged not in k
        )
        mine = grads[judged]
        problem = (
            "no gradient stored"
            if mine is None
            else diagnose(mine, grads[reference], batch_size=batch, tol=tol)
        )
        row.ok = problem is None and refs_ok
        row.verdict = (
            "OK"
            if row.ok
            else f"WRONG: {problem}"
            if problem
            else "references disagree: check the tolerance"
        )
        rows.append(row)
    return GradientReport(rows, names, dtype, tol, value, notes=notes, judged=judged)


# ---- the scalar engine: both modes on one graph ------------------------------------------------
def compare_scalar_gradients(
    f: Callable[..., Any], primals: Sequence[float], names: Sequence[str] | None = None
) -> GradientReport:
    """d f / d(each input) of a scalar-engine function four ways, and how well they agree.

    1. **reverse**: ``backward`` on the graph ``f`` builds from Values: one pass;
    2. **forward**: forward mode over that same recorded graph (``push_tangents``): one
       pass per input, the same local derivatives multiplied the other way round;
    3. **dual**: ``f`` run on dual numbers (``jvp``), no graph at all: one pass per input;
    4. **numeric**: central differences of ``f``, two evaluations per input.

    ``f`` takes one argument per primal and uses ``+ - * / **`` and the Value methods.

    >>> report = compare_scalar_gradients(lambda w, x: (w * x - 1.0).tanh(), [0.5, 2.0])
    >>> report.ok, report.sources
    (True, ['reverse', 'forward', 'dual', 'numeric'])
    """
    names = list(names) if names is not None else [f"x{i}" for i in range(len(primals))]
    if len(names) != len(primals):
        raise ValueError(f"compare_scalar_gradients: {len(names)} names for {len(primals)} inputs")
    leaves = [Value(float(p), label=n) for p, n in zip(primals, names)]
    root = f(*leaves)
    if not isinstance(root, Value):
        raise TypeError(
            f"compare_scalar_gradients: f must return a Value, got {type(root).__name__}"
        )
    forward = forward_gradient(root, leaves)  # before backward: it reads the graph only
    root.backward()
    eye = np.eye(len(primals))
    dual = [jvp(f, primals, list(e))[1] for e in eye]
    numeric = []
    for e in eye:
        up = f(*(Value(float(p) + 1e-6 * d) for p, d in zip(primals, e)))
        down = f(*(Value(float(p) - 1e-6 * d) for p, d in zip(primals, e)))
        numeric.append((up.data - down.data) / 2e-6)
    sources = {
        "reverse": [v.grad for v in leaves],
        "forward": forward,
        "dual": dual,
        "numeric": numeric,
    }
    tol = TOLERANCE[np.dtype(np.float64)]
    rows = []
    for k, name in enumerate(names):
        grads = {s: np.array(g[k]) for s, g in sources.items()}
        row = ParameterComparison(name, (), grads)
        for a, b in combinations(sources, 2):
            row.abs_err[(a, b)] = float(abs(grads[a] - grads[b]))
            row.rel_err[(a, b)] = _rel(grads[a], grads[b])
        # The AD modes agree to rounding. The numeric estimate carries truncation error
        # (relative 1e-4 allowed) and rounding of about 1e-16 |f| / h in absolute terms, which
        # is all there is when the true gradient is 0.
        floor = 1e-8 * max(1.0, abs(root.data))
        row.ok = all(
            row.rel_err[p] < tol
            or ("numeric" in p and (row.rel_err[p] < 1e-4 or row.abs_err[p] < floor))
            for p in row.rel_err
        )
        row.verdict = "OK" if row.ok else "DISAGREE: a kink (relu) near the point, or a bug"
        rows.append(row)
    return GradientReport(
        rows, list(sources), np.dtype(np.float64), tol, root.data, blame="the sources disagree for"
    )

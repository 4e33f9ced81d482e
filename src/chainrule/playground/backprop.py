"""Backprop on one example, node by node, and the ``.grad`` accumulation experiment.

``trace_example`` rebuilds the page's network for one training point in the scalar engine (each
weight a labelled ``Value``: ``W1[0,1]``, every sum and activation named), so each step of the
backward pass is numbers: ``downstream = upstream × local``. Where a node already received a
gradient from another path, the step says so and shows the sum: the multivariate chain rule is
why ``.grad`` adds. The weights' final gradients are checked by the page against the tensor
engine's ``loss.backward()`` on the same point.

``accumulation`` runs the lecture's "predict, then run" question on the tensor engine: ``.grad``
before backward, after one, after a second without ``zero_grad`` (twice the first), after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import chainrule
from chainrule._tensor import Tensor
from chainrule.nn import Module
from chainrule.playground.config import Config
from chainrule.playground.session import loss_fn
from chainrule.scalar.value import Value
from chainrule.viz.scalar_view import scalar_trace

__all__ = ["trace_example", "accumulation"]


def _activate(z: Value, act: str, label: str) -> Value:
    if act == "none":
        return z
    out = getattr(z, act)()  # Value.relu / .tanh / .sigmoid
    out.label = label
    return out


def _scalar_loss(logits: list[Value], target: int, loss: str) -> Value:
    """The same losses as ``session.loss_fn``, for one example, from scalar ops."""
    k = len(logits)
    if loss == "ce":  # log Σ exp(z) − z_y
        exps = [z.exp() for z in logits]
        for i, e in enumerate(exps):
            e.label = f"exp(z[{i}])"
        total = exps[0]
        for i, e in enumerate(exps[1:], start=1):
            total = total + e
            total.label = f"Σexp[..{i}]"
        log_total = total.log()
        log_total.label = "log Σexp"
        out = log_total - logits[target]
    elif loss == "mse":  # mean over the K outputs of (z − onehot)²
        terms = []
        for i, z in enumerate(logits):
            d = z - Value(float(i == target), label=f"onehot[{i}]")
            d.label = f"z[{i}]−onehot[{i}]"
            sq = d**2
            sq.label = f"({d.label})²"
            terms.append(sq)
        total = terms[0]
        for i, t in enumerate(terms[1:], start=1):
            total = total + t
            total.label = f"Σsq[..{i}]"
        out = total * Value(1.0 / k, label="1/K")
    else:  # multi-class hinge: Σ_{i≠y} max(0, 1 − z_y + z_i) / K
        parts = []
        for i, z in enumerate(logits):
            if i == target:
                continue
            margin = Value(1.0, label="margin") - logits[target] + z
            margin.label = f"1−z[y]+z[{i}]"
            h = margin.relu()
            h.label = f"max(0, {margin.label})"
            parts.append(h)
        total = parts[0]
        for i, p in enumerate(parts[1:], start=1):
            total = total + p
            total.label = f"Σhinge[..{i}]"
        out = total * Value(1.0 / k, label="1/K")
    out.label = "L"
    return out


def _scalar_network(
    model: Module, config: Config, x: np.ndarray
) -> tuple[Value, dict[str, Value], list[Value]]:
    """The model's forward pass on one point in Values; returns the logits' last node, the weights."""
    params: dict[str, Value] = {}
    h: list[Value] = [Value(float(v), label=f"x[{j}]") for j, v in enumerate(x)]
    linears = [m for m in model if isinstance(m, chainrule.nn.Linear)]
    acts = [*config.act, None]
    for n, (layer, act) in enumerate(zip(linears, acts), start=1):
        W = layer.weight.numpy().astype(np.float64)
        b = layer.bias.numpy().astype(np.float64)
        out = []
        for i in range(W.shape[0]):
            z = params.setdefault(f"b{n}[{i}]", Value(float(b[i]), label=f"b{n}[{i}]"))
            for j, hj in enumerate(h):
                w = params.setdefault(
                    f"W{n}[{i},{j}]", Value(float(W[i, j]), label=f"W{n}[{i},{j}]")
                )
                prod = w * hj
                prod.label = f"W{n}[{i},{j}]·{hj.label}"
                z = z + prod
                z.label = f"z{n}[{i}]" if j == len(h) - 1 else f"z{n}[{i}] (sum to {j})"
            out.append(z if act is None else _activate(z, act, f"h{n}[{i}]"))
        h = out
    return h, params


def trace_example(model: Module, config: Config, x: np.ndarray, target: int) -> dict[str, Any]:
    """The backward pass for one point, root first: each step's numbers and any accumulation.

    Returns the steps (node, op, value, upstream, and per input: local, downstream, and the
    gradient the input held before this step when it is an accumulation), the weights' final
    gradients from the scalar engine and, for comparison, from the tensor engine.
    """
    logits, params = _scalar_network(model, config, x)
    for i, z in enumerate(logits):
        z.label = f"z[{i}]"
    loss = _scalar_loss(logits, target, config.loss)
    trace = scalar_trace(loss)
    received: dict[str, float] = {}  # what each node has been sent so far in this pass
    steps = []
    for s in trace.steps:
        edges = []
        for e in s.inputs:
            before = received.get(e.input)
            received[e.input] = (before or 0.0) + e.downstream
            edges.append(
                {
                    "input": e.input,
                    "local": e.local,
                    "downstream": e.downstream,
                    "before": before,  # None: the first gradient this node gets
                    "after": received[e.input],
                }
            )
        steps.append(
            {"node": s.node, "op": s.op, "value": s.value, "upstream": s.upstream, "inputs": edges}
        )
    scalar_grads = {name: trace.leaf_grads.get(name, 0.0) for name in params}
    return {
        "type": "backprop",
        "x": [float(v) for v in x],
        "target": int(target),
        "loss": loss.data,
        "steps": steps,
        "scalar_grads": scalar_grads,
        "tensor_grads": _tensor_grads(model, config, x, target),
    }


def _tensor_grads(model: Module, config: Config, x: np.ndarray, target: int) -> dict[str, float]:
    """The same gradients from the tensor engine: ``loss.backward()`` on the one point."""
    model.zero_grad()
    loss = loss_fn(
        config.loss, model(Tensor(x[None].astype(np.float32))), chainrule.tensor([target])
    )
    loss.backward()
    grads = {}
    for n, layer in enumerate((m for m in model if isinstance(m, chainrule.nn.Linear)), start=1):
        W, b = layer.weight.grad.numpy(), layer.bias.grad.numpy()
        grads.update(
            {f"W{n}[{i},{j}]": float(W[i, j]) for i in range(W.shape[0]) for j in range(W.shape[1])}
        )
        grads.update({f"b{n}[{i}]": float(b[i]) for i in range(len(b))})
    model.zero_grad()
    return grads


def accumulation(model: Module, config: Config, x: np.ndarray, target: int) -> dict[str, Any]:
    """One first-layer weight's ``.grad`` through backward, a second backward, and zero_grad.

    The weight is the one with the largest gradient on this example (a dead ReLU's 0 = 2 × 0
    teaches nothing).
    """
    w = next(m for m in model if isinstance(m, chainrule.nn.Linear)).weight
    model.zero_grad()
    loss = loss_fn(
        config.loss, model(Tensor(x[None].astype(np.float32))), chainrule.tensor([target])
    )
    rows = [("model.zero_grad()", None)]
    loss.backward(retain_graph=True)
    i, j = np.unravel_index(int(np.abs(w.grad.numpy()).argmax()), w.shape)

    def grad() -> float | None:
        return None if w.grad is None else float(w.grad.numpy()[i, j])

    rows.append(("loss.backward()", grad()))
    loss.backward()
    rows.append(("loss.backward() again, no zero_grad", grad()))
    model.zero_grad()
    rows.append(("model.zero_grad()", grad()))
    return {
        "type": "accumulation",
        "param": f"W1[{i},{j}]  (model[0].weight[{i}, {j}])",
        "rows": [{"code": code, "grad": g} for code, g in rows],
    }

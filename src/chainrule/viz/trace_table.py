"""The backprop trace: the lecture's "blame game", one row per backward step.

``explain(root)`` computes the backward pass on the side (it changes no ``.grad``) and
records, for every node from the root back to the leaves, what it received and what it
passed on:

    node  op  value  upstream  │  input  local  downstream = upstream × local

A student checks a hand derivation against it line by line. The rows are plain
data (``Trace.steps``, ``Trace.rows()``); ``str(trace)`` is a text table and
``trace._repr_html_()`` an HTML table for notebooks, drawn beside its graph when
``explain`` made it (a trace is read against the graph it walks).

>>> from chainrule import Value, explain
>>> w, x = Value(3.0, label="w"), Value(2.0, label="x")
>>> trace = explain(w * x)
>>> [(r["node"], r["input"], r["downstream"]) for r in trace.rows()]
[('L', 'w', 2.0), ('L', 'x', 3.0)]
>>> w.grad  # explain only looks: backward() is what stores gradients
0.0
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainrule.viz.naming import fmt


def stored_grad_notes(
    root_name: str,
    computed: Mapping[str, Any],
    stored: Mapping[str, Any],
    same: Callable[[Any, Any], bool],
) -> list[str]:
    """Sentences comparing this pass's leaf gradients with what the leaves' ``.grad`` hold.

    ``explain`` never writes ``.grad``, so the trace tells a student whether backward() has
    run, and whether it ran more than once (the accumulation trap). ``stored`` maps the leaves
    to report on to their ``.grad`` (all None when backward has not run); ``same`` compares two
    gradients.

    >>> note = stored_grad_notes("L", {"w": 8.0}, {"w": 16.0}, lambda a, b: a == b)
    >>> note[0].split(":")[0]
    "w.grad holds 16, not this pass's dL/dw = 8"
    """
    if all(v is None for v in stored.values()):
        return [
            f"explain() changed no .grad: call {root_name}.backward() to store these gradients."
        ]
    differ = [k for k, v in stored.items() if v is not None and not same(v, computed[k])]
    if not differ:
        return []
    held = ", ".join(f"{k}.grad holds {fmt(stored[k])}" for k in differ)
    passes = ", ".join(f"d{root_name}/d{k} = {fmt(computed[k])}" for k in differ)
    return [
        f"{held}, not this pass's {passes}: gradients accumulate over backward() calls "
        "(zero_grad() resets them)."
    ]


@dataclass(frozen=True)
class TraceEdge:
    """What one input received from one step: its local derivative and its share."""

    input: str
    local: Any
    downstream: Any  # upstream × local


@dataclass(frozen=True)
class TraceStep:
    """One node's turn in the backward pass."""

    step: int
    node: str
    op: str
    value: Any
    upstream: Any  # dL/d(node), complete by the time this node is visited
    inputs: tuple[TraceEdge, ...]


class StepSequence(Sequence):
    """A trace behaves like the list of its ``steps`` (the backward and the forward trace alike)."""

    steps: list

    def __getitem__(self, i):  # type: ignore[override]
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.steps)


class Trace(StepSequence):
    """The backward pass, step by step, in reverse topological order (root first)."""

    def __init__(
        self,
        root_name: str,
        root_value: Any,
        steps: list[TraceStep],
        leaf_grads: dict[str, Any],
        labelled: frozenset[str] = frozenset(),
        notes: Sequence[str] = (),
    ) -> None:
        self.root_name = root_name
        self.root_value = root_value
        self.steps = steps
        #: The gradient every leaf holds after the pass, by node name.
        self.leaf_grads = leaf_grads
        self.labelled = labelled  # names that came from user labels
        #: Sentences about the graph's stored ``.grad`` (see :func:`stored_grad_notes`).
        self.notes = list(notes)
        #: Draws the traced graph as SVG text for the notebook view; None shows the table alone.
        self.graph_svg: Callable[[], str] | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per (step, input) pair: easy to load into a DataFrame."""
        return [
            {
                "step": s.step,
                "node": s.node,
                "op": s.op,
                "value": s.value,
                "upstream": s.upstream,
                "input": e.input,
                "local": e.local,
                "downstream": e.downstream,
            }
            for s in self.steps
            for e in s.inputs
        ]

    def _table(self) -> tuple[list[str], list[list[str]]]:
        header = [
            "step",
            "node",
            "op",
            "value",
            "upstream",
            "input",
            "local",
            "downstream = upstream × local",
        ]
        body = []
        for s in self.steps:
            for j, e in enumerate(s.inputs):
                left = (
                    [str(s.step), s.node, s.op, fmt(s.value), fmt(s.upstream)]
                    if j == 0
                    else ["", "", "", "", ""]
                )
                body.append(left + [e.input, fmt(e.local), fmt(e.downstream)])
        return header, body

    def __str__(self) -> str:
        header, body = self._table()
        widths = [max(len(r[c]) for r in [header, *body]) for c in range(len(header))]

        def line(cells: list[str]) -> str:
            left = "  ".join(c.ljust(w) for c, w in zip(cells[:5], widths[:5]))
            right = "  ".join(c.ljust(w) for c, w in zip(cells[5:], widths[5:]))
            return f"{left} │ {right}".rstrip()

        out = [
            f"Backward pass from {self.root_name} = {fmt(self.root_value)} "
            f"(root first; each input receives upstream × local)",
            line(header),
        ]
        out.append("─" * len(out[-1]))
        out.extend(line(r) for r in body)
        # Constants (unlabelled leaves, named by their value) are left out of the
        # summary unless there is nothing else to show; ``leaf_grads`` has them all.
        shown = {k: v for k, v in self.leaf_grads.items() if k in self.labelled} or self.leaf_grads
        if shown:
            grads = ", ".join(f"d{self.root_name}/d{k} = {fmt(v)}" for k, v in shown.items())
            out.append(f"Leaf gradients: {grads}")
        out.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<Trace of {len(self.steps)} steps from {self.root_name}>"

    def _repr_html_(self) -> str:
        header, body = self._table()
        th = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        trs = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body
        )
        caption = html.escape(f"Backward pass from {self.root_name} = {fmt(self.root_value)}")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        table = f"<table><caption>{caption}</caption><tr>{th}</tr>{trs}</table>{notes}"
        if self.graph_svg is None:
            return table
        # An <img> of the SVG, not inline <svg>: notebook front ends that sanitise HTML
        # (JupyterLab, Colab) keep images, and the graph's ids cannot clash with the page's.
        svg = base64.b64encode(self.graph_svg().encode("utf-8")).decode("ascii")
        image = f'<img alt="graph from {html.escape(self.root_name)}" src="data:image/svg+xml;base64,{svg}"/>'
        return f"<div>{table}{image}</div>"

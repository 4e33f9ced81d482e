"""The forward-mode trace: the same graph as the backward trace, walked the other way.

``explain(root, mode="forward", wrt=x)`` starts from the leaves with x's tangent 1 (every
other leaf 0) and visits each node inputs first, recording

    node  op  value  │  input  local  input's tangent  local × tangent  │  tangent = Σ

The local derivatives are the very numbers the backward trace shows; forward mode sums
``local × tangent`` over a node's inputs where reverse mode hands ``upstream × local`` to them.
The last node's tangent is d(root)/dx, and the trace also carries the reverse-mode value of
the same derivative, so the two modes are checked against each other on one graph.

>>> from chainrule import Value, explain
>>> w, x = Value(3.0, label="w"), Value(2.0, label="x")
>>> trace = explain(w * x + w, mode="forward", wrt=w)
>>> trace.tangent, trace.reverse
(3.0, 3.0)
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from chainrule.viz.naming import fmt
from chainrule.viz.trace_table import StepSequence


@dataclass(frozen=True)
class ForwardEdge:
    """One input's part in a node's tangent: its local derivative times its tangent."""

    input: str
    local: Any
    input_tangent: Any
    contribution: Any  # local × input_tangent


@dataclass(frozen=True)
class ForwardStep:
    """One node's turn in the forward pass: its tangent is the sum of its inputs' parts."""

    step: int
    node: str
    op: str
    value: Any
    inputs: tuple[ForwardEdge, ...]
    tangent: Any


class ForwardTrace(StepSequence):
    """The forward-mode pass, step by step, in topological order (leaves first, root last)."""

    def __init__(
        self, root_name: str, wrt: str, steps: list[ForwardStep], tangent: Any, reverse: Any
    ) -> None:
        self.root_name = root_name
        self.wrt = wrt  # the seeded leaf (or leaves), by name
        self.steps = steps
        #: d(root)/d(wrt) by forward mode: the root's tangent.
        self.tangent = tangent
        #: The same derivative by reverse mode on the same graph.
        self.reverse = reverse

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per (step, input) pair."""
        return [
            {
                "step": s.step,
                "node": s.node,
                "op": s.op,
                "value": s.value,
                "input": e.input,
                "local": e.local,
                "input_tangent": e.input_tangent,
                "contribution": e.contribution,
                "tangent": s.tangent,
            }
            for s in self.steps
            for e in s.inputs
        ]

    def _table(self) -> tuple[list[str], list[list[str]]]:
        header = ["step", "node", "op", "value", "input", "local", "tangent in", "local × in"]
        header.append("tangent = Σ")
        body = []
        for s in self.steps:
            for j, e in enumerate(s.inputs):
                first = j == 0
                left = [str(s.step), s.node, s.op, fmt(s.value)] if first else [""] * 4
                mid = [e.input, fmt(e.local), fmt(e.input_tangent), fmt(e.contribution)]
                body.append(left + mid + [fmt(s.tangent) if first else ""])
        return header, body

    def _summary(self) -> str:
        agree = "they agree" if self.tangent == self.reverse else "they differ by rounding"
        return (
            f"Forward mode: d{self.root_name}/d{self.wrt} = {fmt(self.tangent)}; reverse mode "
            f"on the same graph: {fmt(self.reverse)} ({agree})"
        )

    def __str__(self) -> str:
        header, body = self._table()
        widths = [max(len(r[c]) for r in [header, *body]) for c in range(len(header))]

        def line(cells: list[str]) -> str:
            parts = [cells[:4], cells[4:8], cells[8:]]
            cols = [widths[:4], widths[4:8], widths[8:]]
            return " │ ".join(
                "  ".join(c.ljust(w) for c, w in zip(p, ws)) for p, ws in zip(parts, cols)
            ).rstrip()

        out = [
            f"Forward pass for d{self.root_name}/d{self.wrt} (leaves first; {self.wrt} starts "
            "with tangent 1, every other leaf 0; each node sums local × its inputs' tangents)",
            line(header),
        ]
        out.append("─" * len(out[-1]))
        out.extend(line(r) for r in body)
        out.append(self._summary())
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<ForwardTrace of {len(self.steps)} steps, d{self.root_name}/d{self.wrt}>"

    def _repr_html_(self) -> str:
        header, body = self._table()
        th = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        trs = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body
        )
        caption = html.escape(f"Forward pass for d{self.root_name}/d{self.wrt}")
        return (
            f"<table><caption>{caption}</caption><tr>{th}</tr>{trs}</table>"
            f"<p>{html.escape(self._summary())}</p>"
        )

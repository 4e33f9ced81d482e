"""The backprop trace: the lecture's "blame game", one row per backward step.

``explain(root)`` runs the backward pass and records, for every node from the root
back to the leaves, what it received and what it passed on:

    node  op  value  upstream  │  input  local  downstream = upstream × local

A student checks a hand derivation against it line by line. The rows are plain
data (``Trace.steps``, ``Trace.rows()``); ``str(trace)`` is a text table and
``trace._repr_html_()`` an HTML table for notebooks.

>>> from chainrule import Value, explain
>>> w, x = Value(3.0, label="w"), Value(2.0, label="x")
>>> trace = explain(w * x)
>>> [(r["node"], r["input"], r["downstream"]) for r in trace.rows()]
[('L', 'w', 2.0), ('L', 'x', 3.0)]
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from chainrule.viz.naming import fmt


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


class Trace(Sequence):
    """The backward pass, step by step, in reverse topological order (root first)."""

    def __init__(
        self,
        root_name: str,
        root_value: Any,
        steps: list[TraceStep],
        leaf_grads: dict[str, Any],
        labelled: frozenset[str] = frozenset(),
    ) -> None:
        self.root_name = root_name
        self.root_value = root_value
        self.steps = steps
        #: The gradient every leaf holds after the pass, by node name.
        self.leaf_grads = leaf_grads
        self.labelled = labelled  # names that came from user labels

    # Sequence protocol: a trace behaves like the list of its steps.
    def __getitem__(self, i):  # type: ignore[override]
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[TraceStep]:
        return iter(self.steps)

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
        return f"<table><caption>{caption}</caption><tr>{th}</tr>{trs}</table>"

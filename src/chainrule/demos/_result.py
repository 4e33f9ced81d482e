"""What every demo returns: the claim, what was measured, the verdict, and the figures.

>>> r = DemoResult("example", "1 + 1 = 2", {"sum": 2.0}, Verdict(True, "1 + 1 is 2"))
>>> print(r.narrate())
example
  claim:    1 + 1 = 2
  measured: sum = 2
  verdict:  HOLDS. 1 + 1 is 2
>>> r.to_dict()["measured"]
{'sum': 2.0}
>>> r
<DemoResult example: HOLDS; sum = 2>

In a notebook a result shows itself as a small HTML card (claim, verdict, the headline numbers
and its main figure), so ``xor()`` as a cell's last line is the whole demo.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from chainrule._io import atomic_path, write_text_atomically
from chainrule.viz.figure import lecture_style

FigureMaker = Callable[[], Figure]


@dataclass(frozen=True)
class Verdict:
    """Whether the claim held, and one or two sentences saying why."""

    holds: bool
    text: str

    def __bool__(self) -> bool:
        return self.holds


def _plain(x: Any) -> Any:
    """Make ``x`` JSON-ready: arrays to lists, NumPy scalars to Python, NaN and ±inf to None."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return _plain(x.tolist())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None  # JSON has no NaN
    return x


def _short(v: Any) -> str:
    """A number or a short list for the narration; long lists are elided."""
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        items = [_short(x) for x in v]
        return "[" + ", ".join(items if len(items) <= 10 else items[:4] + ["…"] + items[-3:]) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_short(x)}" for k, x in v.items()) + "}"
    return str(v)


@dataclass
class DemoResult:
    """A demo's outcome: ``claim`` (what the course says), ``measured`` (numbers), ``verdict``.

    ``headline`` names the measured keys the narration prints (all of them when empty);
    ``notes`` are extra sentences (course numbers that disagree, choices the demo made).
    ``figure()`` builds the main matplotlib Figure; ``figure(name)`` any other one.
    """

    name: str
    claim: str
    measured: dict[str, Any]
    verdict: Verdict
    notes: list[str] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)
    figures: dict[str, FigureMaker] = field(default_factory=dict, repr=False)

    def figure(self, name: str | None = None) -> Figure:
        """Build a figure: the first one registered, or the one called ``name``."""
        if not self.figures:
            raise ValueError(f"demo {self.name!r} draws no figure")
        if name is None:
            name = next(iter(self.figures))
        if name not in self.figures:
            raise KeyError(
                f"demo {self.name!r} has no figure {name!r}; it has {', '.join(self.figures)}"
            )
        with lecture_style():  # titles and labels take their sizes when they are made
            return self.figures[name]()

    def to_dict(self) -> dict[str, Any]:
        measured = _plain(self.measured)
        return {
            "name": self.name,
            "claim": self.claim,
            "measured": measured,
            "verdict": {"holds": self.verdict.holds, "text": self.verdict.text},
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def narrate(self, width: int | None = None) -> str:
        """The claim, the headline measurements and the verdict, as a few lines of text.

        Lines are broken between words at ``width`` columns (one less than the terminal's
        width, at most 100, when not given), each continuation indented under its field, so a
        terminal never breaks a word in two.
        """
        if width is None:
            width = min(100, shutil.get_terminal_size((100, 24)).columns) - 1
        pad = " " * 12  # under the text of "  measured: "

        def field(label: str, text: str) -> list[str]:
            out = []
            for i, part in enumerate(text.split("\n")):  # a note may hold its own lines
                out.extend(
                    textwrap.wrap(
                        part,
                        width,
                        initial_indent=f"  {label:9} " if i == 0 else pad,
                        subsequent_indent=pad,
                        break_long_words=False,
                        break_on_hyphens=False,
                    )
                    or [pad]
                )
            return out

        lines = [self.name, *field("claim:", self.claim)]
        for i, (k, v) in enumerate(self._headline_items()):
            lines.extend(field("measured:" if i == 0 else "", f"{k} = {v}"))
        verdict = "HOLDS" if self.verdict.holds else "DOES NOT HOLD"
        lines.extend(field("verdict:", f"{verdict}. {self.verdict.text}"))
        for n in self.notes:
            lines.extend(field("note:", n))
        return "\n".join(lines)

    def _headline_items(self) -> list[tuple[str, str]]:
        keys = self.headline or list(self.measured)
        plain = _plain({k: self.measured[k] for k in keys})
        return [(k, _short(v)) for k, v in plain.items()]

    def __repr__(self) -> str:
        # Compact on purpose: the dataclass default would dump every measured array.
        verdict = "HOLDS" if self.verdict.holds else "DOES NOT HOLD"
        numbers = "; ".join(f"{k} = {v}" for k, v in self._headline_items()[:3])
        more = "; …" if len(self._headline_items()) > 3 else ""
        return f"<DemoResult {self.name}: {verdict}; {numbers}{more}>"

    def _repr_html_(self) -> str:
        """A card for notebooks: the claim, the verdict, the headline numbers, the main figure."""
        e = html.escape
        colour = "#1a7f37" if self.verdict.holds else "#b42318"
        verdict = "HOLDS" if self.verdict.holds else "DOES NOT HOLD"
        rows = "".join(
            f"<tr><td><code>{e(k)}</code></td><td>{e(v)}</td></tr>"
            for k, v in self._headline_items()
        )
        notes = "".join(f"<li>{e(n)}</li>" for n in self.notes)
        image = ""
        if self.figures:
            buffer = io.BytesIO()
            with lecture_style():
                self.figure().savefig(buffer, format="png")
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            image = f'<img alt="{e(self.name)} figure" src="data:image/png;base64,{data}"/>'
        return (
            f"<div><h4>{e(self.name)}</h4>"
            f"<p><b>claim:</b> {e(self.claim)}</p>"
            f'<p><b style="color:{colour}">{verdict}.</b> {e(self.verdict.text)}</p>'
            f"<table>{rows}</table>" + (f"<ul>{notes}</ul>" if notes else "") + f"{image}</div>"
        )

    def save(self, out_dir: str | Path, dpi: int = 100) -> list[Path]:
        """Write ``NAME.json`` and one PNG per figure (``NAME.png``, ``NAME-other.png``) atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / f"{self.name}.json"]
        write_text_atomically(written[0], self.to_json() + "\n")
        for i, fig_name in enumerate(self.figures):
            path = out / (f"{self.name}.png" if i == 0 else f"{self.name}-{fig_name}.png")
            fig = self.figure(fig_name)
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format="png", dpi=dpi)
            written.append(path)
        return written

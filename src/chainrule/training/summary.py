"""What ``train()`` returns: the run's summary, a dict that shows itself in a notebook.

It is the same dict written to ``summary.json`` (so code that indexes it or dumps it as JSON
keeps working); in Jupyter or Colab it displays as a small table of the results with the run's
training curves beneath, read from the run folder's ``curves.png``.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

__all__ = ["TrainingSummary"]

# A curves.png larger than this is not embedded (the folder is the user's; bound what is read).
_MAX_FIGURE_BYTES = 5_000_000

_SHOWN = [
    ("test_accuracy", "test accuracy", "{:.4f}"),
    ("test_loss", "test loss", "{:.4f}"),
    ("val_accuracy", "validation accuracy", "{:.4f}"),
    ("train_accuracy", "train accuracy", "{:.4f}"),
    ("train_loss", "train loss", "{:.4f}"),
    ("epochs", "epochs", "{}"),
    ("params", "parameters", "{:,}"),
    ("seconds", "training time (s)", "{:.1f}"),
]


class TrainingSummary(dict):
    """The summary dict of one run, with its folder (``run_dir``) for the notebook view."""

    def __init__(self, values: dict[str, Any], run_dir: str | Path) -> None:
        super().__init__(values)
        self.run_dir = Path(run_dir)

    def _repr_html_(self) -> str:
        rows = []
        for key, label, fmt in _SHOWN:
            value = self.get(key)
            if value is not None:
                rows.append(f"<tr><td>{label}</td><td>{html.escape(fmt.format(value))}</td></tr>")
        title = html.escape(f"chainrule train: {self.get('data', self.get('dataset', ''))}")
        out = f"<b>{title}</b><table>{''.join(rows)}</table>"
        curves = self.run_dir / "curves.png"
        try:
            if curves.is_file() and curves.stat().st_size <= _MAX_FIGURE_BYTES:
                data = base64.b64encode(curves.read_bytes()).decode("ascii")
                out += f'<img src="data:image/png;base64,{data}" alt="training curves">'
        except OSError:
            pass  # the folder moved or became unreadable: the table alone still says it all
        return out + f"<p><code>{html.escape(str(self.run_dir))}</code></p>"

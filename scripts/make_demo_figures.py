"""Regenerate the demo figures shown in docs/demos.md.

    python scripts/make_demo_figures.py            # every demo, full size, seed 0
    python scripts/make_demo_figures.py xor init   # just these

Each demo's figures go to docs/images/demos/NAME.png (NAME-other.png for extra ones), at the
lecture style's 100 dpi: a figure is at most 12.8 x 7.2 inches, so at most 1280 x 720 px, the
size it is projected at (and each PNG stays well under 300 KB). The JSON is not kept: the
numbers are in docs/demos.md's text and in ``chainrule demo NAME --out DIR``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from chainrule.demos import DEMOS
from chainrule.viz.style import DPI

OUT = Path(__file__).resolve().parent.parent / "docs" / "images" / "demos"


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in DEMOS]
    if unknown:
        print(
            f"unknown demo(s): {', '.join(unknown)}; choose from {', '.join(DEMOS)}",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        for name in names or list(DEMOS):
            result = DEMOS[name].run(seed=0, quick=False)
            for path in result.save(scratch, dpi=DPI):
                if path.suffix == ".png":
                    target = OUT / path.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(path.read_bytes())
                    print(
                        f"{target.relative_to(OUT.parent.parent.parent)}  {target.stat().st_size // 1024} KiB"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

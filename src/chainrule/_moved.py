"""Old import paths of modules that moved when the package was laid out by layer.

``import chainrule.train`` (and every other path below) keeps working: the first import of an
old name loads the module at its new home and registers it under both names, so both give the
*same* module object. Only modules are aliased here; public names such as
``chainrule.compare_gradients`` are re-exported by ``chainrule/__init__.py`` itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

__all__ = ["MOVED", "install"]

#: old dotted path -> new dotted path
MOVED: dict[str, str] = {
    "chainrule.ops": "chainrule.autograd.rules",
    "chainrule.train": "chainrule.training.loop",
    "chainrule.train_data": "chainrule.training.datasets",
    "chainrule.models": "chainrule.training.models",
    "chainrule.metrics": "chainrule.training.metrics",
    "chainrule.checkpoint": "chainrule.training.checkpoint",
    "chainrule.predict": "chainrule.training.predict",
    "chainrule.manual": "chainrule.lab.manual",
    "chainrule.compare": "chainrule.lab.compare",
    "chainrule.diagnostics": "chainrule.demos.diagnostics",
    "chainrule.scalar.moons": "chainrule.demos.scalar_moons",
    "chainrule.commands": "chainrule.cli",
    "chainrule.commands.demo": "chainrule.cli.demo",
    "chainrule.commands.eval": "chainrule.cli.eval",
    "chainrule.commands.graph": "chainrule.cli.graph",
    "chainrule.commands.lab": "chainrule.cli.lab",
    "chainrule.commands.predict": "chainrule.cli.predict",
    "chainrule.commands.train": "chainrule.cli.train",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answer imports of an old path with the module at its new path."""

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=False)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        pass  # already executed under its new name


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (``chainrule/__init__.py`` calls this)."""
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedModuleFinder())

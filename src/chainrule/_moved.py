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
    "chainrule.gradcheck": "chainrule.finite_differences",
    "chainrule.lab.check_cross_entropy": "chainrule.lab.check_loss",
    "chainrule.demos.backprop_by_hand": "chainrule.demos.lecture.backprop_by_hand",
    "chainrule.demos.double_softmax": "chainrule.demos.lecture.double_softmax",
    "chainrule.demos.feature_space": "chainrule.demos.lecture.feature_space",
    "chainrule.demos.grad_accumulation": "chainrule.demos.lecture.grad_accumulation",
    "chainrule.demos.gradient_check": "chainrule.demos.lecture.gradient_check",
    "chainrule.demos.init_schemes": "chainrule.demos.lecture.init_schemes",
    "chainrule.demos.linear_collapse": "chainrule.demos.lecture.linear_collapse",
    "chainrule.demos.no_nonlinearity": "chainrule.demos.lecture.no_nonlinearity",
    "chainrule.demos.overfitting": "chainrule.demos.lecture.overfitting",
    "chainrule.demos.softmax_ce_gradient": "chainrule.demos.lecture.softmax_ce_gradient",
    "chainrule.demos.vanishing_gradients": "chainrule.demos.lecture.vanishing_gradients",
    "chainrule.demos.xor": "chainrule.demos.lecture.xor",
    "chainrule.demos.zero_grad_bug": "chainrule.demos.lecture.zero_grad_bug",
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
        parent_name, _, child = spec.name.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is not None and callable(parent.__dict__.get(child)):
            # The old module's name is now a function's (``chainrule.demos.xor``,
            # ``chainrule.gradcheck``). After this import the import system sets
            # ``parent.child`` to the module; the guard keeps the function there instead.
            if not isinstance(parent, _KeepsFunctions):
                parent.__class__ = _KeepsFunctions
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        pass  # already executed under its new name


class _KeepsFunctions(ModuleType):
    """A package whose functions are never replaced by a module of the same name."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, ModuleType) and callable(self.__dict__.get(name)):
            return
        super().__setattr__(name, value)


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (``chainrule/__init__.py`` calls this)."""
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedModuleFinder())

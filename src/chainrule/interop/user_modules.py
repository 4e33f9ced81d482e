"""A user's own Module subclass (the lecture's ``class MLP(nn.Module)``), in the other library.

The class's code was written against one library's names (``import chainrule as torch``, then
``torch.relu``, ``F.cross_entropy``, ``nn.Linear``). Its counterpart is a new class with the
same methods whose *global names are re-pointed* at the other library: the same bytecode, run
with ``torch`` meaning PyTorch instead of chainrule. Module-level helper functions of the
user's file that the methods call are re-pointed the same way, and ``super()`` inside a method
finds the new class. The instance's parameters, buffers and submodules are converted one by
one, and its other attributes (``self.n_layers = 3``) are copied.

What cannot come along: hooks, and code that reaches a library object other than through a
global name (a default argument, an attribute stored on ``self`` at construction time is fine
if it is a tensor or a library object).
"""

from __future__ import annotations

import types
from typing import Any

from chainrule.interop.names import Translation

# Containers a user may subclass; any other library layer as a base is refused.
_BASES = ("Module", "Sequential", "ModuleList", "ModuleDict")


def convert_user_module(module: Any, tr: Translation, where: str, convert_child: Any) -> Any:
    """The destination library's version of an instance of a user's Module subclass."""
    cls = _mirror_class(type(module), tr, where)
    out = cls.__new__(cls)
    tr.Module.__init__(out)  # the containers' __init__ with no arguments is Module's, too
    internal = set(tr.source_nn.Module().__dict__)
    non_persistent = getattr(module, "_non_persistent_buffers", None)
    if non_persistent is None:
        non_persistent = getattr(module, "_non_persistent_buffers_set", set())
    for name, param in module._parameters.items():
        out.register_parameter(name, None if param is None else tr.parameter(param))
    for name, buffer in module._buffers.items():
        value = None if buffer is None else tr.tensor(buffer)
        out.register_buffer(name, value, persistent=name not in non_persistent)
    for name, child in module._modules.items():
        out.add_module(name, None if child is None else convert_child(child, f"{where}.{name}"))
    for name, value in vars(module).items():
        if name not in internal:
            setattr(out, name, tr.value(value))
    return out


def _mirror_class(cls: type, tr: Translation, where: str) -> type:
    """The destination's version of a user's class: same name, same methods, bases mirrored."""
    cache = tr.__dict__.setdefault("_mirrors", {})
    if cls in cache:
        return cache[cls]
    bases = []
    for base in cls.__bases__:
        if not tr.is_source_library(base):
            bases.append(_mirror_class(base, tr, where))  # a user's class: mirror it too
        elif base.__name__ in _BASES:
            bases.append(getattr(tr.nn, base.__name__))
        else:
            raise TypeError(
                f"{'to_torch' if tr.to_torch else 'from_torch'}: {cls.__name__} (at {where!r}) "
                f"subclasses {base.__name__}; only subclasses of {', '.join(_BASES)} can be "
                "converted"
            )
    skip = ("__dict__", "__weakref__")
    namespace = {name: member for name, member in vars(cls).items() if name not in skip}
    mirror = type(cls.__name__, tuple(bases), namespace)
    # Each class gets its own re-pointing: super() in its methods must find *this* mirror.
    retarget = _Retargeter(tr, mirror)
    for name, member in namespace.items():
        if name not in ("__module__", "__qualname__", "__doc__"):
            setattr(mirror, name, retarget.member(member))
    cache[cls] = mirror
    return mirror


class _Retargeter:
    """Rebuild functions with their global names pointing into the destination library."""

    def __init__(self, tr: Translation, mirror: type) -> None:
        self.tr = tr
        self.mirror = mirror
        self.globals_copies: dict[int, dict[str, Any]] = {}
        self.functions: dict[types.FunctionType, types.FunctionType] = {}

    def member(self, member: Any) -> Any:
        if isinstance(member, types.FunctionType):
            return self.function(member)
        if isinstance(member, staticmethod):
            return staticmethod(self.member(member.__func__))
        if isinstance(member, classmethod):
            return classmethod(self.member(member.__func__))
        if isinstance(member, property):
            parts = (member.fget, member.fset, member.fdel)
            return property(*(None if f is None else self.function(f) for f in parts))
        return self.tr.value(member)

    def function(self, fn: types.FunctionType) -> types.FunctionType:
        if fn in self.functions:
            return self.functions[fn]
        new_globals = self._globals(fn.__globals__)
        closure = None
        if fn.__closure__ is not None:
            closure = tuple(
                types.CellType(self.mirror)
                if name == "__class__"  # what super() uses: the new class, not the old
                else types.CellType(self.tr.value(cell.cell_contents))
                for name, cell in zip(fn.__code__.co_freevars, fn.__closure__)
            )
        new = types.FunctionType(fn.__code__, new_globals, fn.__name__, fn.__defaults__, closure)
        new.__kwdefaults__ = fn.__kwdefaults__
        new.__qualname__ = fn.__qualname__
        new.__doc__ = fn.__doc__
        self.functions[fn] = new
        # The user's module-level helpers read the same globals: re-point them too.
        for name, value in fn.__globals__.items():
            if isinstance(value, types.FunctionType) and value.__globals__ is fn.__globals__:
                if name in fn.__code__.co_names or value in self.functions:
                    new_globals[name] = self.function(value)
        return new

    def _globals(self, source: dict[str, Any]) -> dict[str, Any]:
        copy = self.globals_copies.get(id(source))
        if copy is None:
            copy = {name: self.tr.counterpart(value)[1] for name, value in source.items()}
            self.globals_copies[id(source)] = copy
        return copy

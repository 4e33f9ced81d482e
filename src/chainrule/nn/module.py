"""Module: the base class of every layer, holding Parameters, buffers and submodules by name.

A Module is a tree. Assigning a ``Parameter`` or a ``Module`` to an attribute registers it
(``__setattr__``), which is all that ``parameters()``, ``state_dict()``, ``train()`` and the
repr need: they walk the tree in registration order and build torch's dotted names
(``layers.1.bias``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from typing import Any, NamedTuple, TypeVar

import numpy as np

from chainrule._tensor import Tensor, parse_to_arguments
from chainrule._tensor.device import GPU_MESSAGE
from chainrule.nn.parameter import Parameter

M = TypeVar("M", bound="Module")


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` could not match: ``(missing_keys, unexpected_keys)``."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


def _quoted(keys: list[str]) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first, so a child's multi-line repr nests under its ``(name):``."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line if line.strip() else "" for line in rest])


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks = hooks
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _BackwardHookCall:
    """One forward call's bookkeeping for ``register_full_backward_hook``.

    Approximated with tensor hooks: each input that requires grad passes through an identity
    node (``view_as``) whose gradient is dL/d(input), and the output's hook records
    dL/d(output). When the last input gradient arrives, the module's hooks are called with
    ``(module, grad_input, grad_output)``; if no input requires grad they are called as soon
    as grad_output is known, with ``grad_input`` all None (as torch does).
    """

    def __init__(self, module: Module, args: tuple) -> None:
        self.module = module
        self.slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.grad_input: list[Tensor | None] = [None] * len(self.slots)
        self.pending = 0
        self.grad_output: tuple[Tensor | None, ...] = ()

    def watch_inputs(self, args: tuple) -> tuple:
        args = list(args)
        for k, i in enumerate(self.slots):
            if args[i].requires_grad:
                args[i] = args[i].view_as(args[i])
                args[i].register_hook(self._input_hook(k))
                self.pending += 1
        return tuple(args)

    def _input_hook(self, k: int) -> Callable[[Tensor], Tensor | None]:
        def hook(grad: Tensor) -> Tensor | None:
            self.grad_input[k] = grad
            self.pending -= 1
            if self.pending == 0:
                new = self._fire()
                if new is not None:
                    return new[k]  # a replaced grad_input only takes effect for this input
            return None

        return hook

    def watch_output(self, output: Any) -> Any:
        if isinstance(output, Tensor) and output.requires_grad:
            output = output.view_as(output)
            output.register_hook(self._output_hook)
        return output

    def _output_hook(self, grad: Tensor) -> None:
        self.grad_output = (grad,)
        if self.pending == 0:
            self._fire()

    def _fire(self) -> tuple | None:
        replaced = None
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, tuple(self.grad_input), self.grad_output)
            if result is not None:
                replaced = tuple(result)
                self.grad_input = list(replaced)
        return replaced


class Module:
    """Base class for layers and models: subclass it, assign layers in ``__init__``, write ``forward``.

    >>> from chainrule import nn
    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(4, 8)
    ...         self.out = nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> [name for name, _ in MLP().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ because our own __setattr__ expects these dicts to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output; every subclass defines this, and calls go through ``module(x)``."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The idea is just forward(*args); the rest runs the hooks torch runs around it.
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)  # no hooks (the usual case): nothing to run
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        backward_call = _BackwardHookCall(self, args) if self._backward_hooks else None
        if backward_call is not None:
            args = backward_call.watch_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        if backward_call is not None:
            output = backward_call.watch_output(output)
        return output

    # ---- hooks ----------------------------------------------------------------------------------
    def _add_hook(self, store: str, hook: Callable[..., Any], prepend: bool) -> RemovableHandle:
        hooks = self.__dict__[store]
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(
        self, hook: Callable[[Module, tuple], Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward; a returned value replaces ``args``."""
        return self._add_hook("_forward_pre_hooks", hook, prepend)

    def register_forward_hook(
        self, hook: Callable[[Module, tuple, Any], Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each forward; a returned value replaces ``output``.

        The usual use is looking inside a model, e.g. recording each layer's activations:

        >>> from chainrule import nn
        >>> seen = []
        >>> layer = nn.Linear(2, 3)
        >>> handle = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        >>> _ = layer(chainrule.zeros(4, 2)); handle.remove(); seen
        [chainrule.Size([4, 3])]
        """
        return self._add_hook("_forward_hooks", hook, prepend)

    def register_full_backward_hook(
        self, hook: Callable[[Module, tuple, tuple], Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients w.r.t. inputs are known.

        Differs from torch: built from tensor hooks on the module's tensor inputs and its (single
        tensor) output, so only Tensor outputs are seen, and a returned ``grad_input`` replaces
        the gradient only of the input whose gradient arrived last (all of it, for the usual
        one-input layer).
        """
        return self._add_hook("_backward_hooks", hook, prepend)

    # ---- registration ---------------------------------------------------------------------------
    def _check_new_name(self, name: str, kind: str, store: dict) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, but got {type(name).__name__}")
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name can\'t be empty or contain ".", got: {name!r}')
        if hasattr(self, name) and name not in store:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (what ``self.name = Parameter(...)`` does)."""
        self._check_new_name(name, "parameter", self.__dict__.get("_parameters", {}))
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' (Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a non-learnable Tensor (e.g. running statistics) saved in ``state_dict``."""
        self._check_new_name(name, "buffer", self.__dict__.get("_buffers", {}))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module under ``name`` (what ``self.name = SomeModule()`` does)."""
        self._check_new_name(name, "module", self.__dict__.get("_modules", {}))
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def _forget(self, name: str, keep: str) -> None:
        # A name lives in exactly one place; reassigning it (say, a Tensor then a Parameter)
        # must drop the old registration. The store being assigned keeps its entry, so
        # replacing a layer keeps its position (model[0] = ... stays first).
        self.__dict__.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            if store != keep:
                self.__dict__[store].pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            if "_parameters" not in d:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            self.add_module(name, value)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' (Parameter or None expected)"
                )
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails, i.e. for registered names.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(store, {}):
                del self.__dict__[store][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    # ---- walking the tree -----------------------------------------------------------------------
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted_name, module)`` for this module (name ``''``) and all descendants, pre-order."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(
                    memo, f"{prefix}.{name}" if prefix else name, remove_duplicate
                )

    def modules(self) -> Iterator[Module]:
        """Yield this module and every descendant once, pre-order."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for each direct child, once each."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yield each direct child module once."""
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, store: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        owners = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for owner_prefix, owner in owners:
            for name, value in getattr(owner, store).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{owner_prefix}.{name}" if owner_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)`` in registration order, each shared parameter once.

        >>> from chainrule import nn
        >>> [n for n, _ in nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every learnable Parameter once, in registration order (what an optimizer takes)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(dotted_name, buffer)`` in registration order."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield every buffer once."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target: str) -> Module:
        """Return the descendant at the dotted path ``target`` (``''`` is this module).

        >>> from chainrule import nn
        >>> nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU())).get_submodule("1.0")
        ReLU()
        """
        if target == "":
            return self
        module: Module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """Return the parameter at the dotted path ``target``, e.g. ``'0.weight'``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """Return the buffer at the dotted path ``target``, e.g. ``'bn.running_mean'``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    def apply(self: M, fn: Callable[[Module], None]) -> M:
        """Call ``fn`` on every child (recursively) and then on this module; return self.

        The usual use is custom initialisation: ``model.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- modes, gradients, dtype ----------------------------------------------------------------
    def train(self: M, mode: bool = True) -> M:
        """Set training mode (``True``) or evaluation mode here and in every descendant.

        Only layers that behave differently care (Dropout masks only in training). It does not
        turn off gradient tracking: use ``chainrule.no_grad()`` for that.
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self: M) -> M:
        """Set evaluation mode everywhere: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Turn gradient tracking on or off for every parameter (``False`` freezes the module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient to None (default) or fill it with zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.numpy().fill(0)

    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """Cast floating-point parameters, their gradients and buffers, in place; return self.

        Takes what ``torch.nn.Module.to`` takes: a dtype, a device (only ``'cpu'`` exists
        here, so ``model.to(device)`` is a no-op), both, or a tensor whose dtype to copy.
        The Parameter objects stay the same (only their arrays change), so an optimizer made
        earlier still updates them. Integer buffers are left alone, as in torch.
        """
        dtype, _ = parse_to_arguments("Module.to", args, kwargs)
        if dtype is None:
            return self
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(
                f"Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
        for t in chain(self.parameters(), self.buffers()):
            if t.is_floating_point():
                t.data = t.numpy().astype(dtype, copy=False)
                if t.grad is not None:
                    t.grad.data = t.grad.numpy().astype(dtype, copy=False)
        return self

    def _cast_all(self, dtype: Any) -> None:
        for t in chain(self.parameters(), self.buffers()):
            t.data = t.type(dtype).numpy()
            if t.grad is not None:
                t.grad.data = t.grad.type(dtype).numpy()

    def type(self: M, dst_type: Any) -> M:
        """Cast every parameter and buffer (integer ones too, as torch does) to ``dst_type``."""
        self._cast_all(dst_type)
        return self

    def half(self: M) -> M:
        """Cast floating-point parameters and buffers to float16."""
        return self.to(np.float16)

    def cpu(self: M) -> M:
        """Return self: chainrule's tensors always live on the CPU."""
        return self

    def cuda(self: M, device: Any = None) -> M:
        """Refuse, in one line: chainrule computes on the CPU."""
        raise RuntimeError(f"cuda: {GPU_MESSAGE}")

    def double(self: M) -> M:
        """Cast floating-point parameters and buffers to float64 (e.g. for gradient checks)."""
        return self.to(np.float64)

    def float(self: M) -> M:
        """Cast floating-point parameters and buffers to float32."""
        return self.to(np.float32)

    # ---- checkpoints ----------------------------------------------------------------------------
    def _state_items(self, prefix: str) -> Iterator[tuple[str, Tensor]]:
        # torch's order: own parameters, own persistent buffers, then each child, recursively.
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, b
        for name, module in self._modules.items():
            if module is not None:
                yield from module._state_items(f"{prefix}{name}.")

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Return an OrderedDict ``dotted_name → Tensor`` of parameters and persistent buffers.

        Values are detached but share their arrays with the model (as in torch): copy them
        (``{k: v.data.copy() ...}``) to keep a snapshot that later training will not change.

        >>> from chainrule import nn
        >>> list(nn.Linear(2, 3).state_dict())
        ['weight', 'bias']
        """
        return OrderedDict(
            (name, t if keep_vars else t.detach()) for name, t in self._state_items(prefix)
        )

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` (Tensors, NumPy arrays, or anything with ``__array__``
        such as torch tensors) into this module, in place.

        Values are cast to each parameter's dtype (real numbers and booleans only: strings,
        complex numbers, datetimes and objects are refused). With ``strict`` (default) the keys
        must match exactly; all problems (missing keys, unexpected keys, shape and dtype
        mismatches) are reported together in one RuntimeError and nothing is copied. Returns ``(missing_keys,
        unexpected_keys)``. Unlike torch, a failed load leaves the model untouched.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}."
            )
        own = OrderedDict(self._state_items(""))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]

        errors: list[str] = []
        if strict and missing:
            errors.append(f"Missing key(s) in state_dict: {_quoted(missing)}. ")
        if strict and unexpected:
            errors.append(f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
        copies: list[tuple[np.ndarray, np.ndarray]] = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if isinstance(value, Tensor):
                source = value.numpy()
            elif isinstance(value, np.ndarray) or hasattr(value, "__array__"):
                source = np.asarray(value)  # also takes a torch state_dict's tensors directly
            else:
                source = None
            if source is None:
                errors.append(
                    f'While copying the parameter named "{key}", expected a Tensor or numpy.ndarray '
                    f"from checkpoint but received {type(value).__name__}"
                )
            elif not _castable(source.dtype, target.numpy().dtype):
                # Checked here, not left to np.copyto below: a string or complex array would
                # fail (or lose its imaginary part) halfway through, after earlier keys were copied.
                errors.append(
                    f'While copying the parameter named "{key}", cannot copy {source.dtype} '
                    f"values into a {target.numpy().dtype} parameter"
                )
            elif source.shape != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {source.shape} from checkpoint, "
                    f"the shape in current model is {tuple(target.shape)}."
                )
            else:
                copies.append((target.numpy(), source))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for dst, src in copies:
            # In place, so optimizers and views holding these arrays see the loaded values.
            np.copyto(dst, src, casting="unsafe")
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Return this module's settings for its repr, e.g. ``in_features=2, out_features=3, bias=True``."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): {_addindent(repr(module), 2)}" for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        if not lines:
            return f"{self._get_name()}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        """In a notebook: the repr, then one row per parameter (shape, count, dtype) and the total."""
        import html  # noqa: PLC0415 - only notebooks ask for HTML

        rows = []
        total = 0
        for name, p in self.named_parameters():
            n = int(p.numel())
            total += n
            rows.append(
                f"<tr><td><code>{html.escape(name)}</code></td><td>{tuple(p.shape)}</td>"
                f"<td style='text-align:right'>{n:,}</td><td>{str(p.dtype).split('.')[-1]}</td>"
                f"<td>{'yes' if p.requires_grad else 'no'}</td></tr>"
            )
        head = (
            "<tr><th>parameter</th><th>shape</th><th>count</th><th>dtype</th>"
            "<th>requires grad</th></tr>"
        )
        table = (
            f"<table>{head}{''.join(rows)}<tr><td><b>total</b></td><td></td>"
            f"<td style='text-align:right'><b>{total:,}</b></td><td></td><td></td></tr></table>"
            if rows
            else "<p>no parameters</p>"
        )
        return f"<pre>{html.escape(repr(self))}</pre>{table}"


def _castable(source: np.dtype, target: np.dtype) -> bool:
    """Whether ``load_state_dict`` copies ``source`` values into a ``target`` array: real numbers
    (and booleans) into a float or integer parameter, complex only into complex."""
    if target.kind == "c":
        return source.kind in "biufc"
    return source.kind in "biuf"

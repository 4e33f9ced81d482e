"""Devices: chainrule computes on the CPU, so ``'cpu'`` is the one device there is.

Course code is written to run on either (``device = 'cuda' if torch.cuda.is_available() else
'cpu'``), so ``device('cpu')``, ``.to('cpu')`` and ``.cpu()`` work and do nothing, and asking
for a GPU says in one line what to write instead.
"""

from __future__ import annotations

from typing import Any

GPU_MESSAGE = (
    "chainrule computes on the CPU; use `device = 'cuda' if torch.cuda.is_available() else 'cpu'`"
)


class device:  # noqa: N801 - the name PyTorch users type (torch.device)
    """``chainrule.device('cpu')``; any other device type is refused with a clear message.

    >>> chainrule.device("cpu"), chainrule.device("cpu") == "cpu"
    (device(type='cpu'), True)
    """

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        kind = str(type).split(":")[0]
        if kind != "cpu":
            raise RuntimeError(f"device {type!r}: {GPU_MESSAGE}")
        self.type = "cpu"
        self.index = index

    def __repr__(self) -> str:
        return (
            "device(type='cpu')"
            if self.index is None
            else f"device(type='cpu', index={self.index})"
        )

    def __str__(self) -> str:
        return "cpu" if self.index is None else f"cpu:{self.index}"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            other = other.split(":")[0]
            return other == "cpu"
        return isinstance(other, device)

    def __hash__(self) -> int:
        return hash("cpu")


CPU = device("cpu")


def check_device(where: str, value: Any) -> None:
    """Accept None, 'cpu', 'cpu:0' or a device; refuse 'cuda'/'mps'/... with the one message."""
    if value is None or isinstance(value, device):
        return
    if isinstance(value, str) and value.split(":")[0] == "cpu":
        return
    if isinstance(value, int):
        raise RuntimeError(f"{where}: device {value} is a GPU index; {GPU_MESSAGE}")
    raise RuntimeError(f"{where}: device {value!r} is not available; {GPU_MESSAGE}")

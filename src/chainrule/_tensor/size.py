"""``Size``: a tensor's shape, a tuple that prints as ``chainrule.Size([2, 3])`` like torch.Size."""

from __future__ import annotations


class Size(tuple):
    """A shape: a tuple of ints with torch's printing and ``numel()``.

    >>> s = Tensor([[1.0, 2.0, 3.0]]).shape
    >>> s, s == (1, 3), s.numel()
    (chainrule.Size([1, 3]), True, 3)
    """

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    def __getitem__(self, index):  # a slice of a Size is a Size, as in torch
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other: tuple) -> "Size":
        return Size(tuple.__add__(self, other))

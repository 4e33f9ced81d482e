"""Docstring examples run as tests (``--doctest-modules``). A method written in a topic file
(``_tensor/reductions.py``) shows ``Tensor(...)`` the way a user types it, so every example
starts with ``Tensor`` and ``chainrule`` in scope."""

import numpy as np
import pytest

import chainrule


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    doctest_namespace["Tensor"] = chainrule.Tensor
    doctest_namespace["chainrule"] = chainrule
    doctest_namespace["np"] = np

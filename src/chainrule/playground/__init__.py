"""The playground: the lecture's live demo in a browser, trained by chainrule's own engine.

``chainrule playground`` serves it on 127.0.0.1 (see ``server``); ``widget()`` shows the same
front end in a notebook. Modules, bottom up: ``config`` (the settings and their bounds),
``datasets`` (the points), ``session`` (the training run and its frames), ``backprop`` (one
example's backward pass, step by step, and the ``.grad`` accumulation experiment), ``export``
(the run as chainrule and PyTorch scripts and a checkpoint), ``protocol`` (the page's messages),
``server`` and ``notebook_widget``. The front end is ``static/``: plain JavaScript, no build step.

>>> from chainrule.playground import Controller
>>> Controller().hello()[0]["type"]
'points'
"""

from __future__ import annotations

from typing import Any

from chainrule.playground.config import Config, ConfigError
from chainrule.playground.protocol import Controller
from chainrule.playground.session import Session

__all__ = ["Config", "ConfigError", "Controller", "Session", "widget"]


def widget(**settings: Any) -> Any:
    """The playground as a Jupyter/Colab widget; ``settings`` are the page's (``data="xor"``, ...)."""
    from chainrule.playground.notebook_widget import PlaygroundWidget  # noqa: PLC0415 (anywidget is optional)

    return PlaygroundWidget(Config.from_dict(settings) if settings else None)

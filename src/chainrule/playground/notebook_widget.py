"""The playground as a notebook widget: the page's own module, run by anywidget in Jupyter or Colab.

The widget's comm carries the same messages as the page's WebSocket, answered by the same
``Controller``; while playing, a background thread trains and sends frames, so the notebook's
kernel keeps taking the instructor's cells.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anywidget

from chainrule.playground.config import Config
from chainrule.playground.protocol import Controller, error
from chainrule.playground.server import STATIC

__all__ = ["PlaygroundWidget"]


class PlaygroundWidget(anywidget.AnyWidget):
    """``chainrule.playground.widget()``'s object: display it as a cell's last expression."""

    _esm = STATIC / "playground.js"
    _css = STATIC / "playground.css"

    def __init__(self, config: Config | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.controller = Controller(config)
        self._lock = threading.Lock()  # the comm thread and the play thread share the session
        self._player: threading.Thread | None = None
        self.on_msg(self._on_message)

    def _send_all(self, messages: list[dict[str, Any]]) -> None:
        for m in messages:
            self.send(m)

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        with self._lock:
            replies = self.controller.handle(content)
        self._send_all(replies)
        if self.controller.playing and (self._player is None or not self._player.is_alive()):
            self._player = threading.Thread(target=self._play, daemon=True)
            self._player.start()

    def _play(self) -> None:
        while self.controller.playing:
            start = time.perf_counter()
            with self._lock:
                try:
                    frame = [self.controller.tick()]
                except FloatingPointError as e:
                    self.controller.playing = False
                    frame = [error(str(e))]
            self._send_all(frame)
            time.sleep(max(0.0, 1 / 15 - (time.perf_counter() - start)))

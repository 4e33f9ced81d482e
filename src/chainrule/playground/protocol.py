"""The messages between the page and its session, shared by the web server and the notebook widget.

The page sends small JSON objects (``{"type": "step", "n": 10}``); ``Controller.handle`` answers
each with a list of objects to send back. Whatever the page sends, the answer is data: a bad
message, an out-of-range setting, a malformed CSV or a diverging run becomes
``{"type": "error", "message": "..."}``, shown in the page's message bar, and the session
carries on. ``tick`` is one frame of play: as many steps as fit in the frame's time, then the frame.

>>> c = Controller()
>>> [m["type"] for m in c.handle({"type": "step", "n": 3})]
['frame']
>>> c.handle({"type": "config", "config": {"n": 10**9}})[0]["message"]
'n must be between 4 and 2000, got 1000000000'
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

from chainrule.playground.backprop import accumulation, trace_example
from chainrule.playground.config import Config, ConfigError
from chainrule.playground.datasets import CSVError
from chainrule.playground.export import checkpoint, script
from chainrule.playground.session import Session

__all__ = ["Controller", "MAX_MESSAGE_BYTES"]

#: Larger messages are refused before they are parsed (a CSV is at most 200 kB).
MAX_MESSAGE_BYTES = 1_000_000
#: Frames per second the play loop aims for; the steps per frame fill the time between.
FPS = 15

log = logging.getLogger("chainrule.playground")


def error(message: str) -> dict[str, Any]:
    """The one answer to anything the session cannot do: a line for the page's message bar."""
    return {"type": "error", "message": message}


class Controller:
    """One page's session and its play state; ``handle`` never raises for what the page sent."""

    def __init__(self, config: Config | None = None) -> None:
        self.session = Session(config)
        self.playing = False
        self.speed = 0  # steps per frame; 0: as many as fit in a frame

    def hello(self) -> list[dict[str, Any]]:
        """What a page gets when it connects: the points and a first frame."""
        return [self.session.points(), self.session.frame(), self._state()]

    def _state(self) -> dict[str, Any]:
        return {"type": "state", "playing": self.playing, "step": self.session.step_count}

    def handle(self, message: Any) -> list[dict[str, Any]]:
        """Answer one message from the page (see the module docstring); errors become messages."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return [error('a message must be a JSON object with a "type"')]
        handler = getattr(self, f"_on_{message['type']}", None)
        if handler is None:
            return [error(f"unknown message type {message['type']!r}")]
        try:
            return handler(message)
        except (ConfigError, CSVError) as e:
            return [error(str(e))]
        except FloatingPointError as e:
            self.playing = False
            return [error(str(e)), self._state()]
        except (KeyError, TypeError, ValueError) as e:
            return [error(f"bad {message['type']!r} message: {e}")]
        except Exception as e:  # noqa: BLE001 (a bug must not end the session: log it, tell the page)
            log.exception("playground: %s failed", message["type"])
            return [error(f"internal error in {message['type']!r}: {type(e).__name__}: {e}")]

    def tick(self) -> dict[str, Any]:
        """One frame of play: train for the frame's share of a second (or ``speed`` steps)."""
        if self.speed:
            self.session.train(self.speed)
        else:
            end = time.perf_counter() + 1.0 / FPS * 0.8  # leave a fifth for the frame itself
            while time.perf_counter() < end:
                self.session.train(1)
        return self.session.frame()

    # ---- the messages, one method each ------------------------------------------------------------
    def _on_config(self, m: dict) -> list[dict]:
        self.playing = False
        self.session.configure(Config.from_dict(m["config"]))
        return [self.session.points(), self.session.frame(), self._state()]

    def _on_hello(self, m: dict) -> list[dict]:
        # The notebook widget asks once it is drawn (a WebSocket gets hello() on connecting).
        return self.hello()

    def _on_play(self, m: dict) -> list[dict]:
        self.playing = True
        self.speed = int(m.get("speed", 0))
        if not 0 <= self.speed <= 1000:
            self.playing = False
            raise ConfigError(f"speed must be 0..1000 steps per frame, got {self.speed}")
        return [self._state()]

    def _on_pause(self, m: dict) -> list[dict]:
        self.playing = False
        return [self._state()]

    def _on_step(self, m: dict) -> list[dict]:
        n = int(m.get("n", 1))
        if not 1 <= n <= 10_000:
            raise ConfigError(f"step: n must be 1..10000, got {n}")
        self.session.train(n)
        return [self.session.frame()]

    def _on_reset(self, m: dict) -> list[dict]:
        self.playing = False
        self.session.reset()
        return [self.session.frame(), self._state()]

    def _on_add_point(self, m: dict) -> list[dict]:
        self.playing = False
        self.session.add_point(float(m["x"]), float(m["y"]), int(m["cls"]))
        return [self.session.points(), self.session.frame(), self._state()]

    def _on_remove_point(self, m: dict) -> list[dict]:
        self.playing = False
        if not self.session.remove_point(float(m["x"]), float(m["y"])):
            return [{"type": "info", "message": "no point there to remove"}]
        return [self.session.points(), self.session.frame(), self._state()]

    def _on_csv(self, m: dict) -> list[dict]:
        self.playing = False
        if not isinstance(m.get("text"), str):
            raise ConfigError("csv: the file's text is missing")
        self.session.load_csv(m["text"])
        n = len(self.session.y)
        return [
            self.session.points(),
            self.session.frame(),
            self._state(),
            {"type": "info", "message": f"loaded {n} points from the CSV"},
        ]

    def _example(self, m: dict) -> tuple[Any, int, int]:
        s = self.session
        i = int(m.get("index", 0))
        if not 0 <= i < len(s.y_train):
            raise ConfigError(f"example must be 0..{len(s.y_train) - 1}, got {i}")
        return s.X_train[i], int(s.y_train[i]), i

    def _on_backprop(self, m: dict) -> list[dict]:
        x, target, i = self._example(m)
        width = max(self.session.config.hidden, default=0)
        if width > 16 or len(self.session.config.hidden) > 3:
            raise ConfigError(
                "step-by-step backprop draws every scalar: use at most 3 hidden layers of width 16"
            )
        return [{**trace_example(self.session.model, self.session.config, x, target), "index": i}]

    def _on_accumulation(self, m: dict) -> list[dict]:
        x, target, i = self._example(m)
        return [{**accumulation(self.session.model, self.session.config, x, target), "index": i}]

    def _on_export(self, m: dict) -> list[dict]:
        kind = m.get("kind")
        if kind in ("chainrule", "torch"):
            text = script(self.session, kind)
            return [
                {"type": "export", "kind": kind, "filename": f"playground_{kind}.py", "text": text}
            ]
        if kind == "checkpoint":
            data = base64.b64encode(checkpoint(self.session)).decode("ascii")
            return [{"type": "export", "kind": kind, "filename": "playground.pt", "base64": data}]
        raise ConfigError(f"export kind must be chainrule, torch or checkpoint, got {kind!r}")

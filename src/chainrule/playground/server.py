"""The web app behind ``chainrule playground``: the page, its files, and one WebSocket per tab.

Starlette serves ``static/`` (plain JavaScript, SVG and canvas: nothing to build, nothing from a
CDN) and ``/ws``, where each tab gets its own ``Controller``: two tabs train two independent
models, and the second is told so. A tab's socket has two tasks: one reads messages into a
queue, the other answers them and, while playing, trains and sends frames. Training runs in a
worker thread, so the event loop keeps serving the other tabs and the page stays responsive.
``serve`` binds to 127.0.0.1 unless told otherwise and says so; Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from chainrule.playground.protocol import MAX_MESSAGE_BYTES, Controller, error

__all__ = ["create_app", "serve", "STATIC"]

#: The front end, shipped as package data: the same module runs in the notebook widget.
STATIC = Path(__file__).with_name("static")

log = logging.getLogger("chainrule.playground")


def parse(text: str) -> Any:
    """A message's JSON; a ValueError naming what is wrong with it (too large, not JSON)."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {len(text)} bytes refused: at most {MAX_MESSAGE_BYTES}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"message is not JSON: {e.msg} at character {e.pos}") from None


def create_app() -> Starlette:
    """The Starlette app: ``/`` the page, ``/static`` its files, ``/ws`` the training stream."""
    tabs: set[int] = set()

    async def index(request: Any) -> FileResponse:
        return FileResponse(STATIC / "index.html")

    async def health(request: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "tabs": len(tabs)})

    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        controller = Controller()
        tabs.add(id(ws))
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        reader = asyncio.create_task(_read(ws, inbox))
        try:
            await _send(ws, controller.hello())
            if len(tabs) > 1:
                await _send(
                    ws,
                    [
                        {
                            "type": "info",
                            "message": f"{len(tabs)} tabs are open: each trains its own model",
                        }
                    ],
                )
            await _serve_tab(ws, controller, inbox)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the tab closed mid-send; nothing to tell anyone
        finally:
            reader.cancel()
            tabs.discard(id(ws))

    return Starlette(
        routes=[
            Route("/", index),
            Route("/health", health),
            WebSocketRoute("/ws", stream),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )


async def _read(ws: WebSocket, inbox: asyncio.Queue) -> None:
    """Put each message the tab sends into ``inbox``; ``None`` when the socket closes."""
    try:
        while True:
            await inbox.put(await ws.receive_text())
    except (WebSocketDisconnect, RuntimeError, KeyError):
        await inbox.put(None)


async def _send(ws: WebSocket, messages: list[dict[str, Any]]) -> None:
    for m in messages:
        try:
            text = json.dumps(m, allow_nan=False)  # the page's JSON.parse has no NaN
        except ValueError:
            text = json.dumps(
                error(
                    f"the {m.get('type')} numbers are NaN or infinite: reset, or lower the learning rate"
                )
            )
        await ws.send_text(text)


async def _serve_tab(ws: WebSocket, controller: Controller, inbox: asyncio.Queue) -> None:
    """Answer messages in order; between them, while playing, train a frame's worth and send it."""
    while True:
        if controller.playing and inbox.empty():
            frame = await asyncio.to_thread(_safe_tick, controller)
            await _send(ws, frame)
            await asyncio.sleep(0)  # let the reader put a "pause" in the queue
            continue
        text = await inbox.get()
        if text is None:
            return
        try:
            message = parse(text)
        except ValueError as e:
            await _send(ws, [error(str(e))])
            continue
        await _send(ws, await asyncio.to_thread(controller.handle, message))


def _safe_tick(controller: Controller) -> list[dict[str, Any]]:
    """A frame of play, or the error that stopped it (a diverging loss pauses the run)."""
    try:
        return [controller.tick()]
    except FloatingPointError as e:
        controller.playing = False
        return [
            error(str(e)),
            {"type": "state", "playing": False, "step": controller.session.step_count},
        ]
    except Exception as e:  # noqa: BLE001 (a bug must not end the session: log it, tell the page)
        log.exception("playground: training failed")
        controller.playing = False
        return [error(f"training stopped: {type(e).__name__}: {e}")]


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> None:
    """Run the app with uvicorn until Ctrl-C; print where it listens and who can reach it."""
    import uvicorn  # noqa: PLC0415 (an optional dependency: the playground extra)

    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    if host in ("127.0.0.1", "localhost", "::1"):
        reach = "bound to loopback only: other machines cannot connect (--host 0.0.0.0 shares it)"
    else:
        reach = f"bound to {host}: other machines on the network CAN connect"
    print(f"chainrule playground: {url}  ({reach}); Ctrl-C stops it", flush=True)
    config = uvicorn.Config(
        create_app(), host=host, port=port, log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    if open_browser:
        import threading  # noqa: PLC0415 (only when a browser is opened)
        import webbrowser  # noqa: PLC0415 (only when a browser is opened)

        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn shuts down gracefully, then re-raises the Ctrl-C
        pass
    print("chainrule playground: stopped", flush=True)

"""A second floor: an empty Starlette websocket endpoint on uvicorn, as our server runs it.

Run as its own process (``python -m bench.framework_floor --port N``). Each
screen says hello, gets one small snapshot-shaped frame, then is only read
from. What it costs per connection is what the framework costs before any of
our code (hub, database, send task) is added; the fan-out benchmark weighs it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from player.protocol import MAX_MESSAGE_BYTES

WELCOME = '{"type":"snapshot","snapshot":{"version":"welcome"}}'


async def screen(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        await websocket.receive_text()  # the hello
        await websocket.send_text(WELCOME)
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok\n")


def app() -> Starlette:
    return Starlette(routes=[Route("/healthz", health), WebSocketRoute("/ws/player", screen)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # The same websocket settings as signage_server/serve.py.
    uvicorn.run(
        app(),
        host=args.host,
        port=args.port,
        ws_max_size=MAX_MESSAGE_BYTES,
        ws_per_message_deflate=False,
        log_level="warning",
        lifespan="off",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

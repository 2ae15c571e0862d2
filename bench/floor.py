"""The floor: a bare ``websockets`` asyncio server that only broadcasts.

Run as its own process (``python -m bench.floor --port N``) so that it stands
where our server stands. Screens connect to ``/`` and get a welcome frame; a
control connection on ``/control`` sends ``{"version": "...", "size": N}`` and
the server stamps the time into a frame of about that many bytes, hands it to
``websockets.broadcast`` for every screen, and answers ``"sent"``. The frame is
shaped like our snapshot frame, so clients read both with the same code.
"""

from __future__ import annotations

import argparse
import asyncio
import http
import json
import signal
import time
from collections.abc import Sequence

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

MAX_SIZE = 1 << 20


class Floor:
    def __init__(self) -> None:
        self.screens: set[ServerConnection] = set()

    async def handle(self, connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        if path == "/control":
            await self._control(connection)
            return
        self.screens.add(connection)
        try:
            await connection.send(frame("welcome", 0.0, 256))
            async for _ in connection:
                pass  # heartbeats
        except ConnectionClosed:
            pass
        finally:
            self.screens.discard(connection)

    async def _control(self, connection: ServerConnection) -> None:
        async for message in connection:
            order = json.loads(message)
            text = frame(str(order["version"]), time.time(), int(order["size"]))
            broadcast(self.screens, text)
            await connection.send(json.dumps({"sent": len(self.screens)}))


def frame(version: str, sent_at: float, size: int) -> str:
    """A snapshot-shaped frame of ``size`` bytes (ASCII), carrying the broadcast time."""
    head = json.dumps(
        {"type": "snapshot", "snapshot": {"version": version, "sent_at": sent_at, "pad": ""}},
        separators=(",", ":"),
    )
    padding = "x" * max(0, size - len(head))
    return head.replace('"pad":""', f'"pad":"{padding}"')


def health(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/healthz":
        return connection.respond(http.HTTPStatus.OK, "ok\n")
    return None


async def run(host: str, port: int, deflate: bool = False) -> None:
    floor = Floor()
    async with serve(
        floor.handle,
        host,
        port,
        # Off by default, as in our server; websockets' own default is on.
        compression="deflate" if deflate else None,
        max_size=MAX_SIZE,
        process_request=health,
    ) as server:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, server.close)
        await server.wait_closed()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    args = parser.parse_args(argv)
    asyncio.run(run(args.host, args.port, args.deflate))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

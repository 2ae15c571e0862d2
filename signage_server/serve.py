"""Running the app on uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from player.protocol import MAX_MESSAGE_BYTES

from .app import create_app
from .settings import Settings


def server(settings: Settings) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws_max_size=MAX_MESSAGE_BYTES,
        ws_per_message_deflate=False,  # snapshots are small; deflate costs memory per screen
        log_level=logging.getLogger().getEffectiveLevel(),
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


async def serve(settings: Settings) -> None:
    await server(settings).serve()

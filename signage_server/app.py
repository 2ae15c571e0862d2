"""create_app(settings): the Starlette application. The lifespan opens the database and
starts the content loop; nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from player.protocol import SHA256_RE

from . import __version__, api, screens, store, submissions, web
from .announcing import Announcer
from .blobs import Blobs
from .content import Content
from .feeds import report
from .hub import Hub
from .metrics import Metrics, serve_metrics
from .pages import PAGE_CSP
from .pair_socket import pair_socket
from .pairing import Pairings, WrongCodes
from .permissions import Action, can, visible_areas
from .players import Connections, player_socket
from .screenshots import Screenshots
from .settings import Settings
from .submissions import SubmissionLimiter
from .web import auth, i18n, pages
from .web.ratelimit import LoginLimiter

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
PRESENCE_FLUSH_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 3600.0
GC_THRESHOLDS = (50_000, 20, 100)
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = store.connect(settings.database)
        screens.mark_all_disconnected(db)
        app.state.screenshots.blobs.sweep()
        hub = Hub(app.state.metrics)
        presence = screens.Presence()
        content = Content(settings, db, hub)
        announcer = Announcer(db, hub, lambda: list(content.recipes), content.recompose)
        content.announcer = announcer
        announcer.publish()  # reads the live ones, for the first composition's slides
        await content.start()
        announcer.publish()  # and sends each area its set, now that the areas are known
        app.state.db, app.state.hub, app.state.content = db, hub, content
        app.state.announcer = announcer
        app.state.presence = presence
        # What start-up made lives as long as the process: keep it out of the collector's
        # way, which otherwise walks it at every push to thousands of screens.
        gc.freeze()
        # Each screen's connection is thousands of small objects that live for hours; with
        # the default thresholds the collector walks them all many times per push.
        gc.set_threshold(*GC_THRESHOLDS)
        tasks = [
            asyncio.create_task(content.run(), name="content"),
            asyncio.create_task(_flush_presence(presence, db), name="presence"),
            asyncio.create_task(_housekeeping(db, content), name="housekeeping"),
            asyncio.create_task(announcer.run(), name="announcements"),
            asyncio.create_task(announcer.flush_loop(), name="acknowledgements"),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            presence.flush(db)
            announcer.flush()
            db.close()

    async def healthz(request: Request) -> JSONResponse:
        hub: Hub = request.app.state.hub
        content: Content = request.app.state.content
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "areas": len(hub.areas()),
                "screens_connected": hub.connected(),
                "feeds": len(content.feeds),
                "feeds_failing": sum(
                    1
                    for feed in content.feeds
                    if (status := content.poller.statuses.get(feed.id)) and status.last_error
                ),
            }
        )

    async def asset(request: Request) -> Response:
        sha256 = request.path_params["sha256"]
        if not SHA256_RE.match(sha256):
            return JSONResponse({"error": "not found"}, status_code=404)
        content: Content = request.app.state.content
        path = content.blobs.path(sha256)
        if not path.is_file():
            request.app.state.metrics.asset_not_found += 1
            return JSONResponse({"error": "not found"}, status_code=404)
        media_type = _sniff(path)
        headers = {"Cache-Control": IMMUTABLE, "ETag": f'"{sha256}"'}
        if media_type.startswith("text/html"):
            headers["Content-Security-Policy"] = PAGE_CSP
        request.app.state.metrics.asset_served(request, path)
        return FileResponse(path, media_type=media_type, headers=headers)

    async def index(request: Request) -> Response:
        principal = auth.require(request, Action.VIEW_OVERVIEW)
        content: Content = request.app.state.content
        hub: Hub = request.app.state.hub
        shown = set(visible_areas(principal, content.recipes))
        areas = []
        for area, recipe in sorted(content.recipes.items()):
            if area not in shown:
                continue
            published = hub.current(area)
            areas.append(
                {
                    "id": area,
                    "name": recipe.name,
                    "slides": len(published.snapshot.items) if published else 0,
                    "version": published.snapshot.version if published else None,
                    "connected": hub.connected(area),
                }
            )

        def visible(area: str) -> bool:
            return can(principal, Action.VIEW_AREA, area)

        all_feeds = can(principal, Action.MANAGE_FEEDS)
        return pages.render(
            request,
            "index.html",
            {
                "areas": areas,
                "screens": [
                    screen
                    for screen in screens.all_screens(request.app.state.db)
                    if visible(screen.area)
                ],
                "problems": sorted(
                    (
                        problem
                        for problem in content.library.problems.values()
                        if visible(problem.path.parent.name)
                    ),
                    key=lambda p: str(p.path),
                ),
                "recipe_errors": [
                    str(error)
                    for path, error in content.recipe_errors.items()
                    if visible(path.stem)
                ],
                "feeds": [
                    row
                    for row in _feed_rows(content)
                    if all_feeds
                    or row["areas"] == "all"
                    or any(visible(area) for area in row["areas"])  # type: ignore[attr-defined]
                ],
                "feeds_error": str(content.feeds_error)
                if content.feeds_error and all_feeds
                else None,
            },
        )

    api_app = api.create()
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Route("/metrics", serve_metrics),
            Route("/assets/{sha256}", asset),
            WebSocketRoute("/ws/player", player_socket),
            WebSocketRoute("/ws/pair", pair_socket),
            *web.routes,
        ],
        middleware=[api.gate(api_app), *web.middleware(settings)],
        exception_handlers=web.EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    api_app.state = app.state  # the API reads the database, content and hub the lifespan makes
    app.state.settings = settings
    app.state.metrics = Metrics(__version__)
    app.state.languages = i18n.load_languages()
    app.state.login_limiter = LoginLimiter()
    app.state.player_connections = Connections()
    # Not the media blobs: /assets/ serves those to anyone, screenshots are for admins.
    app.state.screenshots = Screenshots(
        Blobs(settings.data_dir / "screenshots"), app.state.player_connections
    )
    app.state.pairings = Pairings()
    app.state.wrong_pairing_codes = WrongCodes()
    app.state.submission_limiter = SubmissionLimiter()
    return app


async def _flush_presence(presence: screens.Presence, db: sqlite3.Connection) -> None:
    while True:
        await asyncio.sleep(PRESENCE_FLUSH_SECONDS)
        try:
            presence.flush(db)
        except sqlite3.Error:
            log.exception("could not record screen status; trying again")


async def _housekeeping(db: sqlite3.Connection, content: Content) -> None:
    """Now and then: forget citizens' submissions decided long ago (their contact
    addresses too), also when nobody opens a queue."""
    while True:
        try:
            submissions.forget_decided(db, content.blobs)
        except sqlite3.Error:
            log.exception("could not forget old submissions; trying again later")
        await asyncio.sleep(HOUSEKEEPING_SECONDS)


def _feed_rows(content: Content) -> list[dict[str, object]]:
    rows = report.rows(content.feeds, content.poller.db)
    for row in rows:
        success = row["last_success"]
        row["last_success_text"] = (
            dt.datetime.fromtimestamp(success, COPENHAGEN).strftime("%d.%m. kl. %H.%M")
            if isinstance(success, float)
            else "aldrig"
        )
    return rows


def _sniff(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(12)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:9].lower() == b"<!doctype":
        return "text/html; charset=utf-8"
    return "application/octet-stream"

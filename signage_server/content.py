"""What the areas show: recipes and drop folders in, snapshots out to the hub.

This is the loop around the pure :func:`compose`: it reloads recipes and
rescans folders when watchfiles reports a change (or a scan says a file is not
finished yet), recomposes the areas that are affected, and recomposes again at
the moments a schedule changes what an area shows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from watchfiles import awatch

from . import arrangement, feedslides, images, recipes
from .announcing import Announcer
from .blobs import Blobs
from .compose import compose
from .feeds import definitions
from .feeds.definitions import Feed, FeedDefinitionError
from .feeds.model import FeedItem
from .feeds.poller import Poller
from .feeds.select import select
from .hub import Hub
from .library import SETTLE_SECONDS, Library
from .pagecache import PageIndex, Renderer
from .recipes import Recipe, RecipeError
from .settings import Settings

log = logging.getLogger(__name__)

#: A full rescan now and then catches what a file system did not report.
RESCAN_SECONDS = 60.0
WATCH_DEBOUNCE_MS = 300
#: Quiet time before a batch of changes is handled. Short, because handling a batch
#: twice costs little: an unchanged result has the same version and is not pushed.
WATCH_STEP_MS = 20
#: How long news from one feed waits for news from others, to recompose once for all.
FEEDS_GATHER_SECONDS = 0.5


class Content:
    def __init__(
        self,
        settings: Settings,
        db: sqlite3.Connection,
        hub: Hub,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.db = db
        self.hub = hub
        self.clock = clock
        self.blobs = Blobs(settings.blobs)
        self.library = Library(settings.assets, self.blobs, db)
        self.recipes: dict[str, Recipe] = {}
        self.recipe_errors: dict[Path, RecipeError] = {}
        self.feeds: list[Feed] = []
        self.feeds_error: FeedDefinitionError | None = None
        self.poller = Poller(db, self.blobs, self._feeds_changed, clock=clock)
        self.page_index = PageIndex(db, clock)
        self.renderer = Renderer(index=self.page_index, stored=self.blobs.__contains__)
        self._feeds_job_due = False
        self._composing = asyncio.Lock()
        self._scanning = asyncio.Lock()
        self.arrangement = arrangement.load(db)
        #: Set by the app: the info announcements' slides come from it.
        self.announcer: Announcer | None = None
        self._last_feed_slides: dict[str, feedslides.FeedSlides | None] = {}
        self._next_change: dict[str, float] = {}
        self._work: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._schedule_changed = asyncio.Event()

    # --- loading ------------------------------------------------------------

    async def start(self) -> None:
        """Load everything once, before the server accepts screens."""
        self.settings.assets.mkdir(parents=True, exist_ok=True)
        (self.settings.assets / "all").mkdir(exist_ok=True)
        self.settings.playlists.mkdir(parents=True, exist_ok=True)
        self.blobs.sweep()
        self.page_index.forget_old()
        self.reload_feeds()
        self.reload_recipes()
        await self.rescan(self._folders_in_use())
        await self.recompose(self.recipes)

    def reload_recipes(self) -> set[str]:
        """Read playlists/ again; returns the areas whose recipe changed (or went)."""
        changed: set[str] = set()
        present: set[str] = set()
        errors: dict[Path, RecipeError] = {}
        for path in recipes.area_files(self.settings.playlists):
            area = path.stem
            present.add(area)
            try:
                recipe = recipes.load(path)
            except RecipeError as exc:
                errors[path] = exc
                if path not in self.recipe_errors or str(self.recipe_errors[path]) != str(exc):
                    log.error("recipe not loaded, keeping the last good one: %s", exc)
                continue
            if self.recipes.get(area) != recipe:
                self.recipes[area] = recipe
                changed.add(area)
        for area in set(self.recipes) - present:
            del self.recipes[area]
            self._next_change.pop(area, None)
            self.hub.withdraw(area)
            changed.add(area)
            log.info("area %s: recipe removed", area)
        self.recipe_errors = errors
        return changed

    def reload_feeds(self) -> bool:
        """Read playlists/feeds.toml again; True when the definitions changed."""
        path = self.settings.playlists / "feeds.toml"
        try:
            feeds = definitions.load(path)
        except FeedDefinitionError as exc:
            if self.feeds_error is None or str(self.feeds_error) != str(exc):
                log.error("feeds.toml not loaded, keeping the last good feeds: %s", exc)
            self.feeds_error = exc
            return False
        self.feeds_error = None
        if feeds == self.feeds:
            return False
        self.feeds = feeds
        self.poller.configure(feeds)
        log.info("feeds: %s", ", ".join(feed.id for feed in feeds) or "none")
        return True

    async def rescan(self, folders: Iterable[str]) -> set[str]:
        """Scan drop folders; returns the areas that draw on a folder that changed."""
        changed: set[str] = set()
        for folder in sorted(set(folders)):
            async with self._scanning:
                result = await self.library.scan(folder, self.layouts_for(folder))
            if result.unsettled:
                asyncio.get_running_loop().call_later(
                    SETTLE_SECONDS, self._work.put_nowait, ("folder", folder)
                )
            if result.changed:
                changed.update(area for area, r in self.recipes.items() if folder in r.sources)
        return changed

    async def recompose(self, areas: Iterable[str]) -> None:
        """Compose ``areas`` again and publish what changed, one recomposition at a time."""
        async with self._composing:
            now = self.clock()
            for area in sorted(set(areas)):
                recipe = self.recipes.get(area)
                if recipe is None:
                    continue
                sources = {folder: self.library.slides(folder) for folder in recipe.sources}
                try:
                    slides = await self._feed_slides(recipe, now)
                except Exception:
                    # A bug in a template must not stop the area: keep its last feed slides.
                    log.exception("area %s: feed slides not built; keeping the last ones", area)
                    slides = self._last_feed_slides.get(area)
                else:
                    self._last_feed_slides[area] = slides
                if self.announcer is not None:
                    announced = self.announcer.slides(
                        area, recipe.layout, recipe.zone, self.renderer
                    )
                    for sha256, html in announced.pages.items():
                        if sha256 not in self.blobs:
                            self.blobs.put(html)
                    slides = feedslides.merged(slides, announced)
                composition = compose(recipe, sources, now, slides, self.arrangement)
                self._next_change[area] = composition.next_change
                self.hub.publish(composition.snapshot)
            self._schedule_changed.set()

    async def _feed_slides(self, recipe: Recipe, now: float) -> feedslides.FeedSlides | None:
        if not self._has_feeds(recipe.area):
            return None
        names = {
            feed_id: status.title or feed_id for feed_id, status in self.poller.statuses.items()
        }
        # Rendering new pages takes milliseconds each (hundreds when a big feed arrives):
        # in a thread, so that the screens' connections are served meanwhile. It gets copies
        # of what the poller may change while it runs.
        slides = await asyncio.to_thread(
            self._build_feed_slides, recipe, now, list(self.feeds), dict(self.poller.items), names
        )
        if slides.wanted_pictures:
            self.poller.pictures.want(slides.wanted_pictures)
        return slides

    def _build_feed_slides(
        self,
        recipe: Recipe,
        now: float,
        feeds: list[Feed],
        items: dict[str, tuple[FeedItem, ...]],
        names: dict[str, str],
    ) -> feedslides.FeedSlides:
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        selection = select(feeds, items, recipe.area, moment, recipe.zone)
        slides = feedslides.build(
            recipe, selection, now, self.renderer, self.poller.pictures.get, names
        )
        for sha256, html in slides.pages.items():
            if sha256 not in self.blobs:
                self.blobs.put(html)
        return slides

    async def edited(self, folders: Iterable[str] = (), areas: Iterable[str] = ()) -> None:
        """The web UI changed files in ``folders`` or what editors set on slides: read the
        settings again, scan the folders now, and publish every area that shows them, before
        the editor's page comes back."""
        folders = set(folders)
        self.arrangement = arrangement.load(self.db)
        affected = set(areas) | await self.rescan(folders & set(self._folders_in_use()))
        affected |= {area for area, recipe in self.recipes.items() if folders & set(recipe.sources)}
        await self.recompose(affected)

    def _feeds_changed(self) -> None:
        # Feeds polled in the same moment (all of them, at start) come in one recomposition.
        if not self._feeds_job_due:
            self._feeds_job_due = True
            asyncio.get_running_loop().call_later(FEEDS_GATHER_SECONDS, self._feeds_job)

    def _feeds_job(self) -> None:
        self._feeds_job_due = False
        self._work.put_nowait(("feeds", ""))

    # --- running ------------------------------------------------------------

    async def run(self) -> None:
        """Watch, rescan and recompose until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            loops = (
                self._watch,
                self._work_loop,
                self._schedule_loop,
                self._rescan_loop,
                self.poller.run,
            )
            for loop in loops:
                tasks.create_task(_restarting(loop))

    async def _watch(self) -> None:
        # The folders may have been removed and made again: watch what is there now.
        self.settings.assets.mkdir(parents=True, exist_ok=True)
        self.settings.playlists.mkdir(parents=True, exist_ok=True)
        playlists = self.settings.playlists.resolve()
        assets = self.settings.assets.resolve()
        async for changes in awatch(
            playlists, assets, debounce=WATCH_DEBOUNCE_MS, step=WATCH_STEP_MS
        ):
            for _, name in changes:
                path = Path(name)
                if path.is_relative_to(playlists):
                    self._work.put_nowait(("recipes", ""))
                elif path.is_relative_to(assets):
                    parts = path.relative_to(assets).parts
                    if parts:
                        self._work.put_nowait(("folder", parts[0]))

    async def _work_loop(self) -> None:
        while True:
            jobs = {await self._work.get()}
            while not self._work.empty():
                jobs.add(self._work.get_nowait())
            try:
                await self._do(jobs)
            except Exception:
                log.exception("updating content failed; the last good snapshots stay live")

    async def _do(self, jobs: set[tuple[str, str]]) -> None:
        affected: set[str] = set()
        folders = {name for kind, name in jobs if kind == "folder"}
        if ("recipes", "") in jobs:
            if self.reload_feeds():
                affected |= set(self.recipes)
            affected |= self.reload_recipes()
            # A new or changed recipe may draw on folders or layouts not scanned yet.
            folders |= {folder for area in affected for folder in self._sources_of(area)}
        affected |= await self.rescan(folders & set(self._folders_in_use()))
        if ("feeds", "") in jobs:
            affected |= {area for area in self.recipes if self._has_feeds(area)}
        await self.recompose(affected)

    async def _schedule_loop(self) -> None:
        while True:
            self._schedule_changed.clear()
            due = min(self._next_change.values(), default=None)
            timeout = None if due is None else max(0.0, due - self.clock())
            try:
                async with asyncio.timeout(timeout):
                    await self._schedule_changed.wait()
            except TimeoutError:
                now = self.clock()
                await self.recompose(area for area, at in self._next_change.items() if at <= now)

    async def _rescan_loop(self) -> None:
        while True:
            await asyncio.sleep(RESCAN_SECONDS)
            self._work.put_nowait(("recipes", ""))
            for folder in self._folders_in_use():
                self._work.put_nowait(("folder", folder))

    # --- helpers ------------------------------------------------------------

    def _folders_in_use(self) -> list[str]:
        return sorted({folder for recipe in self.recipes.values() for folder in recipe.sources})

    def _has_feeds(self, area: str) -> bool:
        return any(feed.goes_to(area) for feed in self.feeds)

    def _sources_of(self, area: str) -> tuple[str, ...]:
        recipe = self.recipes.get(area)
        return () if recipe is None else recipe.sources

    def layouts_for(self, folder: str) -> set[str]:
        """The renditions a folder's files need: the layouts of the areas that show it,
        and a thumbnail for the web UI's list."""
        layouts = {r.layout for r in self.recipes.values() if folder in r.sources}
        return layouts | {images.THUMBNAIL} if layouts else set()


async def _restarting(loop: Callable[[], Awaitable[None]]) -> None:
    """Run ``loop`` for ever: a failure is logged and the loop starts again, so one bad
    moment never leaves the screens without updates until the server restarts."""
    delay = 1.0
    while True:
        try:
            await loop()
        except Exception:
            log.exception("%s failed; starting it again in %.0f s", loop.__name__, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 60.0)

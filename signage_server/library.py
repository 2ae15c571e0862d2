"""The drop folders: ``assets/<folder>/`` files turned into renditions, kept up to date.

A scan compares each file's size and modification time with what it saw
before, so an unchanged folder costs a few ``stat`` calls. A file changed less
than :data:`SETTLE_SECONDS` ago may still be being written; it is left for the
next scan, which the caller schedules when :attr:`ScanResult.unsettled` is set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import images, pdfs, textslides
from .blobs import Blobs
from .pages.cards import NewsCard
from .pages.render import HTML, Pages
from .recipes import AREA_ID_RE

log = logging.getLogger(__name__)

SETTLE_SECONDS = 0.4
#: A file that fails to decode this soon after it changed is given more time:
#: a slow copy can pause long enough to look finished.
DAMAGED_GRACE_SECONDS = 3.0
#: Refusals that a file still being written also gets (then it is looked at again later).
DAMAGED_REASONS = ("image data is damaged", "not a PDF PDFium can read", "not a text slide")
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", ".download", "~")
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", "readme.md", "readme.txt"})


@dataclass(frozen=True)
class RenditionRef:
    sha256: str
    size: int
    type: str
    width: int
    height: int
    #: What the rendition shows besides itself: a text slide's page needs its picture.
    needs: tuple[RenditionRef, ...] = ()


@dataclass(frozen=True)
class SlideFile:
    """One usable file of a drop folder, with its rendition per layout."""

    folder: str
    #: The slide's name: the file's, or ``<file>#<page>`` for a page of a PDF.
    name: str
    mtime: float
    source_sha256: str
    renditions: Mapping[str, RenditionRef]
    #: The file in the folder it comes from.
    file: str = ""


@dataclass(frozen=True)
class Problem:
    path: Path
    reason: str
    danish: str


@dataclass
class ScanResult:
    changed: bool = False
    unsettled: bool = False


@dataclass
class _Folder:
    #: Slides by their name (a PDF has one a page).
    files: dict[str, SlideFile] = field(default_factory=dict)
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: When this scanner first saw each file with its current size and mtime (monotonic).
    first_seen: dict[str, tuple[tuple[int, int], float]] = field(default_factory=dict)

    def slides_of(self, file: str) -> list[SlideFile]:
        return [slide for slide in self.files.values() if slide.file == file]

    def replace(self, file: str, slides: list[SlideFile]) -> None:
        for slide in self.slides_of(file):
            del self.files[slide.name]
        for slide in slides:
            self.files[slide.name] = slide


def is_candidate(path: Path) -> bool:
    """Whether a path in a drop folder is meant as a slide (not a temp or system file)."""
    name = path.name
    return not (
        name.startswith((".", "~$"))
        or name.casefold() in IGNORED_NAMES
        or name.casefold().endswith(IGNORED_SUFFIXES)
    )


class Library:
    def __init__(self, root: Path, blobs: Blobs, db: sqlite3.Connection) -> None:
        self.root = root
        self.blobs = blobs
        self.db = db
        self.problems: dict[Path, Problem] = {}
        self._folders: dict[str, _Folder] = {}
        #: Files written whole by the server itself (uploads): no need to wait for them.
        self._complete: set[Path] = set()
        self._pages: Pages | None = None

    def written(self, path: Path) -> None:
        """``path`` was just written whole (atomically) by the server: use it at the next
        scan without waiting for it to settle."""
        self._complete.add(path)

    def slides(self, folder: str) -> list[SlideFile]:
        state = self._folders.get(folder)
        return [] if state is None else list(state.files.values())

    def folder_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            path.name
            for path in self.root.iterdir()
            if path.is_dir() and AREA_ID_RE.match(path.name)
        )

    async def scan(self, folder: str, layouts: Iterable[str]) -> ScanResult:
        """Bring one folder up to date for the given layouts."""
        result = ScanResult()
        state = self._folders.setdefault(folder, _Folder())
        directory = self.root / folder
        layouts = sorted(set(layouts))
        present: set[str] = set()
        entries = sorted(directory.iterdir()) if directory.is_dir() else []
        for path in entries:
            if not path.is_file() or not is_candidate(path):
                continue
            present.add(path.name)
            try:
                stat = path.stat()
            except OSError:
                continue
            key = (stat.st_size, stat.st_mtime_ns)
            known = state.slides_of(path.name)
            complete = bool(known) and all(
                layout in slide.renditions for slide in known for layout in layouts
            )
            if state.seen.get(path.name) == key and (complete or path in self.problems):
                continue
            # How long the file has been as it is: by its mtime, or by our own clock when the
            # mtime is no help (copied with the timestamps of a machine whose clock is ahead).
            first = state.first_seen.get(path.name)
            if first is None or first[0] != key:
                first = state.first_seen[path.name] = (key, time.monotonic())
            age = max(time.time() - stat.st_mtime, time.monotonic() - first[1])
            if path in self._complete:
                self._complete.discard(path)
                age = max(age, DAMAGED_GRACE_SECONDS)
            elif age < SETTLE_SECONDS:
                result.unsettled = True
                continue
            slides = await self._process(folder, path, layouts, age, stat.st_mtime)
            if slides is None and path not in self.problems:
                result.unsettled = True  # damaged but young: look again soon
                continue
            state.seen[path.name] = key
            if (slides or []) != known:
                result.changed = True
                state.replace(path.name, slides or [])
        for name in set(state.first_seen) - present:
            del state.first_seen[name]
        for name in set(state.seen) - present:
            del state.seen[name]
            self.problems.pop(directory / name, None)
            if state.slides_of(name):
                state.replace(name, [])
                result.changed = True
        return result

    async def _process(
        self, folder: str, path: Path, layouts: list[str], age: float, mtime: float
    ) -> list[SlideFile] | None:
        """The slides of one file (a picture: one; a PDF: one a page), or None when it
        cannot be used (a problem is recorded) or may still be being written."""
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            self._problem(path, f"cannot read: {exc.strerror}", "Filen kan ikke læses.")
            return None
        try:
            if textslides.is_text_slide(path.name):
                slides = [await self._text_slide(folder, path, data, layouts, mtime)]
            else:
                parts = await self._render_all(data, layouts)
                # A PDF gives a slide a page, named after its file and page number.
                names = (
                    [path.name]
                    if not pdfs.is_pdf(data)
                    else [f"{path.name}#{index + 1}" for index in range(len(parts))]
                )
                slides = [
                    SlideFile(folder, name, mtime, part_source, renditions, path.name)
                    for name, (part_source, renditions) in zip(names, parts, strict=True)
                ]
        except (images.ImageRejected, textslides.TextSlideError) as exc:
            if age < DAMAGED_GRACE_SECONDS and exc.reason.startswith(DAMAGED_REASONS):
                return None
            self._problem(path, exc.reason, exc.danish)
            return None
        self.problems.pop(path, None)
        return slides

    async def _text_slide(
        self, folder: str, path: Path, data: bytes, layouts: list[str], mtime: float
    ) -> SlideFile:
        """A text slide's page for each layout, with its picture (rendered like any)."""
        slide = textslides.parse(data)
        picture: dict[str, RenditionRef] = {}
        source = hashlib.sha256(data)
        if slide.picture is not None:
            try:
                picture_data = await asyncio.to_thread((path.parent / slide.picture).read_bytes)
            except OSError:
                raise textslides.TextSlideError(
                    f"picture {slide.picture} cannot be read",
                    f"Billedet {slide.picture} findes ikke ved siden af tekstplakaten.",
                ) from None
            picture_source = hashlib.sha256(picture_data).hexdigest()
            source.update(picture_source.encode())
            picture = await self._renditions(
                picture_source, layouts, functools.partial(images.render_many, picture_data)
            )
        renditions = {}
        for layout in layouts:
            if layout == images.THUMBNAIL:
                continue
            image = picture.get(layout)
            card = NewsCard(
                slide.title, slide.text, slide.link, image.sha256 if image else None, None
            )
            html = await asyncio.to_thread(self.page, card, layout)
            width, height = images.SCREEN_SIZES[layout]
            sha = self.blobs.put(html)
            renditions[layout] = RenditionRef(
                sha, len(html), HTML, width, height, needs=(image,) if image else ()
            )
        if images.THUMBNAIL in layouts:
            # The web UI's list shows the picture; without one, it knows a page by its type.
            thumbnail = picture.get(images.THUMBNAIL) or next(iter(renditions.values()))
            renditions[images.THUMBNAIL] = thumbnail
        return SlideFile(folder, path.name, mtime, source.hexdigest(), renditions, path.name)

    def page(self, card: NewsCard, layout: str) -> bytes:
        """The page of a text slide (the news template's look)."""
        if self._pages is None:
            self._pages = Pages()
        return self._pages.news(card, layout, dt.UTC)

    async def _renditions(
        self,
        source: str,
        layouts: list[str],
        render: Callable[[Sequence[str]], Mapping[str, images.Rendition]],
    ) -> dict[str, RenditionRef]:
        """The renditions of one source for ``layouts``: those made before from the
        database, the others made now, all in one go (one decode of the file)."""
        renditions = {layout: self._stored_rendition(source, layout) for layout in layouts}
        missing = [layout for layout, ref in renditions.items() if ref is None]
        if missing:
            made = await asyncio.to_thread(render, missing)
            for layout in missing:
                renditions[layout] = await asyncio.to_thread(
                    self._store_rendition, source, layout, made[layout]
                )
        return {layout: ref for layout, ref in renditions.items() if ref is not None}

    async def prepare(self, data: bytes, layouts: Iterable[str]) -> int:
        """Check a picture or PDF before it goes into a folder, and make its renditions
        now (the scan that finds the file then finds them made). Returns the number of
        slides it gives. Raises ImageRejected with a Danish message."""
        return len(await self._render_all(data, sorted(set(layouts))))

    async def _render_all(
        self, data: bytes, layouts: list[str]
    ) -> list[tuple[str, dict[str, RenditionRef]]]:
        """The source sha256 and renditions of a picture, or of each page of a PDF (each
        page is a source of its own, for the renditions and for compose)."""
        source = hashlib.sha256(data).hexdigest()
        if not pdfs.is_pdf(data):
            render = functools.partial(images.render_many, data)
            return [(source, await self._renditions(source, layouts, render))]
        parts = []
        for index in range(await asyncio.to_thread(pdfs.page_count, data)):
            page_source = hashlib.sha256(f"{source}#{index + 1}".encode()).hexdigest()
            render = functools.partial(_pdf_pages, data, index)
            parts.append((page_source, await self._renditions(page_source, layouts, render)))
        return parts

    def _problem(self, path: Path, reason: str, danish: str) -> None:
        if path not in self.problems:
            log.warning("skipping %s: %s", path, reason)
        self.problems[path] = Problem(path, reason, danish)

    def _stored_rendition(self, source: str, layout: str) -> RenditionRef | None:
        row = self.db.execute(
            "SELECT asset_sha256, size, type, width, height FROM renditions "
            "WHERE source_sha256 = ? AND profile = ?",
            (source, images.profile_name(layout)),
        ).fetchone()
        if row is None or row["asset_sha256"] not in self.blobs:
            return None
        return RenditionRef(
            row["asset_sha256"], row["size"], row["type"], row["width"], row["height"]
        )

    def _store_rendition(
        self, source: str, layout: str, rendition: images.Rendition
    ) -> RenditionRef:
        sha = self.blobs.put(rendition.data)
        self.db.execute(
            "INSERT OR REPLACE INTO renditions (source_sha256, profile, asset_sha256, width, "
            "height, size, type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source,
                images.profile_name(layout),
                sha,
                rendition.width,
                rendition.height,
                len(rendition.data),
                rendition.type,
                time.time(),
            ),
        )
        return RenditionRef(
            sha, len(rendition.data), rendition.type, rendition.width, rendition.height
        )


def _pdf_pages(data: bytes, index: int, layouts: Sequence[str]) -> dict[str, images.Rendition]:
    return {layout: pdfs.render_page(data, index, layout) for layout in layouts}

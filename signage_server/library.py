"""The drop folders: ``assets/<folder>/`` files turned into renditions, kept up to date.

A scan compares each file's size and modification time with what it saw
before, so an unchanged folder costs a few ``stat`` calls. A file changed less
than :data:`SETTLE_SECONDS` ago may still be being written; it is left for the
next scan, which the caller schedules when :attr:`ScanResult.unsettled` is set.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import images, pdfs
from .blobs import Blobs
from .recipes import AREA_ID_RE

log = logging.getLogger(__name__)

SETTLE_SECONDS = 0.4
#: A file that fails to decode this soon after it changed is given more time:
#: a slow copy can pause long enough to look finished.
DAMAGED_GRACE_SECONDS = 3.0
#: Refusals that a file still being written also gets (then it is looked at again later).
DAMAGED_REASONS = ("image data is damaged", "not a PDF PDFium can read")
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", ".download", "~")
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", "readme.md", "readme.txt"})


@dataclass(frozen=True)
class RenditionRef:
    sha256: str
    size: int
    type: str
    width: int
    height: int


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
            if age < SETTLE_SECONDS:
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
        source = hashlib.sha256(data).hexdigest()
        try:
            if pdfs.is_pdf(data):
                count = await asyncio.to_thread(pdfs.page_count, data)
                slides = []
                for index in range(count):
                    # Each page is a source of its own, for the renditions and for compose.
                    page_source = hashlib.sha256(f"{source}#{index + 1}".encode()).hexdigest()
                    renditions = await self._renditions(
                        page_source, layouts, functools.partial(pdfs.render_page, data, index)
                    )
                    name = f"{path.name}#{index + 1}"
                    slides.append(
                        SlideFile(folder, name, mtime, page_source, renditions, path.name)
                    )
            else:
                renditions = await self._renditions(
                    source, layouts, functools.partial(images.render, data)
                )
                slides = [SlideFile(folder, path.name, mtime, source, renditions, path.name)]
        except images.ImageRejected as exc:
            if age < DAMAGED_GRACE_SECONDS and exc.reason.startswith(DAMAGED_REASONS):
                return None
            self._problem(path, exc.reason, exc.danish)
            return None
        self.problems.pop(path, None)
        return slides

    async def _renditions(
        self, source: str, layouts: list[str], render: Callable[[str], images.Rendition]
    ) -> dict[str, RenditionRef]:
        renditions: dict[str, RenditionRef] = {}
        for layout in layouts:
            ref = self._stored_rendition(source, layout)
            if ref is None:
                rendition = await asyncio.to_thread(render, layout)
                ref = await asyncio.to_thread(self._store_rendition, source, layout, rendition)
            renditions[layout] = ref
        return renditions

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

"""An area's slides as the web UI and the JSON API both see and change them: the list in
play order, finding a slide by its key, where a new one may go, and the changes (add a
file, save its schedule, pause, delete), each published to the screens
(``Content.edited``) before it returns.

Every slide is a file of a drop folder, named by its key ``<folder>/<file>``. Who may
change a slide is decided by its folder: an editor of Mørkøv changes the files of
``assets/morkov/``; the shared folder ``all`` is the admins'.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import arrangement, images, textslides, uploads
from .compose import _title_of, ordered_slides, rule_of, schedule_windows
from .content import Content
from .library import SlideFile, is_candidate
from .pages.render import HTML
from .permissions import Action, Principal, can
from .recipes import Recipe, SlideRule

#: The folder every area shows by default (recipes' ``sources = [area, "all"]``).
SHARED = "all"
THUMBNAIL = images.THUMBNAIL


class SlideNotFound(LookupError):
    """No slide of the area's list has this key (or its file cannot be read)."""


@dataclass
class Entry:
    """One file of the area's list (a PDF is one entry with its pages)."""

    key: str
    folder: str
    file: str
    title: str
    kind: str
    pages: int
    thumbnail: str | None
    state: str
    when: str
    editable: bool
    paused: bool
    from_recipe: bool
    slides: list[SlideFile] = field(default_factory=list)


# --- reading what the area has ---------------------------------------------------------


def entries(content: Content, recipe: Recipe, principal: Principal, now: float) -> list[Entry]:
    """The area's files in play order, as ``principal`` sees them (``editable``)."""
    language_day = dt.datetime.fromtimestamp(now, recipe.zone).date()
    sources = {folder: content.library.slides(folder) for folder in recipe.sources}
    playing = {item.id for item in current_items(content, recipe.area)}
    found: dict[str, Entry] = {}
    for slide in ordered_slides(recipe, sources, content.arrangement):
        file = slide.file or slide.name
        key = arrangement.key_of(slide.folder, file)
        entry = found.get(key)
        if entry is not None:
            entry.pages += 1
            entry.slides.append(slide)
            if f"{slide.folder}/{slide.name}" in playing:
                entry.state = "playing"
            continue
        rule = rule_of(recipe, content.arrangement, slide)
        rendition = slide.renditions.get(recipe.layout)
        thumb = slide.renditions.get(THUMBNAIL) or rendition
        paused = content.arrangement.is_paused(slide.folder, file)
        found[key] = Entry(
            key=key,
            folder=slide.folder,
            file=file,
            title=rule.title or _title_of(file),
            kind="text"
            if rendition and rendition.type == HTML
            else ("pdf" if slide.file and slide.name != slide.file else "image"),
            pages=1,
            thumbnail=thumb.sha256 if thumb and thumb.type != HTML else None,
            state=state(
                rule, paused, f"{slide.folder}/{slide.name}" in playing, now, recipe, language_day
            ),
            when="",
            editable=can(principal, Action.EDIT_SLIDES, slide.folder),
            paused=paused,
            from_recipe=content.arrangement.rule(slide.folder, file) is None
            and rule != SlideRule(),
            slides=[slide],
        )
    return list(found.values())


def state(
    rule: SlideRule, paused: bool, playing: bool, now: float, recipe: Recipe, today: dt.date
) -> str:
    """``paused``, ``playing`` (on the screens now), ``ended``, ``later`` or ``waiting``."""
    if paused:
        return "paused"
    if playing:
        return "playing"
    windows = schedule_windows(rule, today, recipe.zone)
    if rule.until is not None and rule.until.timestamp() <= now:
        return "ended"
    if any(start is not None and start > now for start, _ in windows):
        return "later"
    return "waiting"


def current_items(content: Content, area: str) -> tuple[Any, ...]:
    published = content.hub.current(area)
    return published.snapshot.items if published else ()


def find(content: Content, recipe: Recipe, key: str) -> tuple[str, str, list[SlideFile]]:
    """The folder, file and slides of a key in this area's list; raises SlideNotFound."""
    folder, _, file = key.partition("/")
    # A file directly in the folder, by its plain name: never a path that leads elsewhere.
    if folder not in recipe.sources or not is_candidate(Path(file)) or not plain_name(file):
        raise SlideNotFound(key)
    slides = [
        slide for slide in content.library.slides(folder) if (slide.file or slide.name) == file
    ]
    if not slides and not (content.settings.assets / folder / file).is_file():
        raise SlideNotFound(key)
    return folder, file, slides


def plain_name(file: str) -> bool:
    return bool(file) and "/" not in file and "\\" not in file and file not in (".", "..")


def targets(content: Content, principal: Principal, recipe: Recipe) -> list[tuple[str, str]]:
    """Where a new slide may go, (folder, area name; "" for every area): an editor, their
    own areas among those this area shows; an admin, any area, or all of them."""
    choices = [
        (folder, content.recipes[folder].name if folder in content.recipes else folder)
        for folder in recipe.sources
        if folder != SHARED and can(principal, Action.EDIT_SLIDES, folder)
    ]
    if principal.is_admin:
        for area, other in sorted(content.recipes.items()):
            if (area, other.name) not in choices:
                choices.append((area, other.name))
        choices.append((SHARED, ""))
    return choices


def layouts(content: Content, folder: str) -> set[str]:
    """The renditions a new file of ``folder`` needs."""
    return content.layouts_for(folder) or {"landscape", images.THUMBNAIL}


def read_text_slide(content: Content, folder: str, file: str) -> textslides.TextSlide:
    """The text slide in a file (its name as the title when it cannot be read as one);
    raises SlideNotFound when the file is gone."""
    try:
        data = (content.settings.assets / folder / file).read_bytes()
    except OSError:
        raise SlideNotFound(f"{folder}/{file}") from None
    try:
        return textslides.parse(data)
    except textslides.TextSlideError:
        return textslides.TextSlide(file.removesuffix(".toml"))


# --- changing them -----------------------------------------------------------------------


async def check_file(content: Content, folder: str, data: bytes) -> int:
    """Check a picture or PDF for ``folder`` and make its renditions now; returns the
    number of slides it gives. Raises images.ImageRejected (with a Danish message)."""
    return await content.library.prepare(data, layouts(content, folder))


async def add_file(
    content: Content, folder: str, name: str, data: bytes, rule: SlideRule, user_id: int | None
) -> Path:
    """Write a checked file (see :func:`check_file`) into ``folder`` under a safe, free
    name like ``name``, with its settings, and publish it; returns its path."""
    path = uploads.write_new(
        content.settings.assets / folder, uploads.safe_name(name, uploads.suffix_of(data)), data
    )
    content.library.written(path)
    try:
        if rule != SlideRule():
            arrangement.save(content.db, folder, path.name, rule, user_id=user_id)
    except sqlite3.Error:
        uploads.remove(path)
        raise
    await content.edited(folders={folder})
    return path


async def save_rule(
    content: Content,
    folder: str,
    file: str,
    rule: SlideRule,
    user_id: int | None,
    paused: bool | None = None,
) -> None:
    """Replace a file's schedule, seconds and title, and pause or resume it (``paused``
    None: as it is), in one write; publish."""
    if paused is None:
        paused = arrangement.is_paused(content.db, folder, file)
    arrangement.save(content.db, folder, file, rule, paused=paused, user_id=user_id)
    await content.edited(folders={folder})


async def set_paused(
    content: Content, folder: str, file: str, paused: bool, user_id: int | None
) -> None:
    """Pause or resume a file's slides. A file whose settings come from a recipe keeps
    them: they are copied into the web's settings, which from then on take their place."""
    rule = arrangement.load_one(content.db, folder, file) or recipe_rule(content, folder, file)
    arrangement.save(content.db, folder, file, rule, paused=paused, user_id=user_id)
    await content.edited(folders={folder})


def recipe_rule(content: Content, folder: str, file: str) -> SlideRule:
    """The rule a recipe that shows ``folder`` has for ``file`` (the first, by area)."""
    for _, recipe in sorted(content.recipes.items()):
        if folder in recipe.sources:
            for key in (f"{folder}/{file}", file):
                if key in recipe.slides:
                    return recipe.slides[key]
    return SlideRule()


async def delete(content: Content, folder: str, file: str) -> None:
    """Delete a slide's file (a text slide's picture with it) and what was set on it;
    publish. Raises SlideNotFound when a text slide's file is gone already."""
    path = content.settings.assets / folder / file
    picture = None
    if textslides.is_text_slide(file):
        picture = read_text_slide(content, folder, file).picture
    uploads.remove(path)
    if picture:
        uploads.remove(path.parent / picture)
    arrangement.forget(content.db, folder, file)
    await content.edited(folders={folder})

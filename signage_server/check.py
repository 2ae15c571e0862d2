"""``signage check``: every recipe and every drop-folder file, checked the way the server would."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import images, pdfs, recipes, textslides
from .feeds import definitions
from .library import is_candidate
from .recipes import Recipe, RecipeError
from .settings import Settings


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int | None
    problem: str
    fatal: bool = True

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        level = "error" if self.fatal else "warning"
        return f"{where}: {level}: {self.problem}"


def check(settings: Settings) -> tuple[list[Recipe], list[Finding]]:
    findings: list[Finding] = []
    loaded: list[Recipe] = []
    if not settings.playlists.is_dir():
        findings.append(Finding(settings.playlists, None, "the playlists folder does not exist"))
        return loaded, findings
    files = recipes.area_files(settings.playlists)
    if not files:
        findings.append(Finding(settings.playlists, None, "no recipes (<area>.toml) found"))
    for path in files:
        try:
            loaded.append(recipes.load(path))
        except RecipeError as exc:
            findings.append(Finding(exc.path, exc.line, exc.problem))

    feeds_file = settings.playlists / "feeds.toml"
    try:
        feeds = definitions.load(feeds_file)
    except definitions.FeedDefinitionError as exc:
        findings.append(Finding(exc.path, exc.line, exc.problem))
        feeds = []
    known_areas = {recipe.area for recipe in loaded} | {path.stem for path in files}
    for feed in feeds:
        if feed.areas != "all":
            for area in feed.areas:
                if area not in known_areas:
                    findings.append(
                        Finding(
                            feeds_file,
                            None,
                            f"feed {feed.id!r} goes to {area!r}, which has no recipe",
                            fatal=False,
                        )
                    )

    layouts: dict[str, set[str]] = {}
    for recipe in loaded:
        for folder in recipe.sources:
            layouts.setdefault(folder, set()).add(recipe.layout)
            if not (settings.assets / folder).is_dir():
                findings.append(
                    Finding(
                        settings.playlists / f"{recipe.area}.toml",
                        None,
                        f"source folder {settings.assets / folder} does not exist (yet)",
                        fatal=False,
                    )
                )
    for recipe in loaded:
        names: set[str] = set()
        for folder in recipe.sources:
            if (settings.assets / folder).is_dir():
                for entry in (settings.assets / folder).iterdir():
                    names |= {entry.name, f"{folder}/{entry.name}"}
        for key in recipe.slides:
            if key not in names:
                findings.append(
                    Finding(
                        settings.playlists / f"{recipe.area}.toml",
                        None,
                        f"[slides.{key!r}] matches no file in {', '.join(recipe.sources)}",
                        fatal=False,
                    )
                )
    for folder, needed in sorted(layouts.items()):
        directory = settings.assets / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if not path.is_file() or not is_candidate(path):
                continue
            try:
                data = path.read_bytes()
                if textslides.is_text_slide(path.name):
                    slide = textslides.parse(data)
                    if slide.picture and not (directory / slide.picture).is_file():
                        findings.append(
                            Finding(path, None, f"picture {slide.picture} does not exist")
                        )
                    continue
                for layout in sorted(needed):
                    if pdfs.is_pdf(data):
                        pdfs.render_pdf(data, layout)
                    else:
                        images.render(data, layout)
            except (images.ImageRejected, textslides.TextSlideError) as exc:
                findings.append(Finding(path, None, exc.reason))
            except OSError as exc:
                findings.append(Finding(path, None, f"cannot read: {exc.strerror}"))
    return loaded, findings


def run(settings: Settings, out: TextIO | None = None) -> int:
    # Not a default of sys.stdout: that would be the stdout of the moment of import.
    out = out or sys.stdout
    loaded, findings = check(settings)
    for finding in findings:
        print(finding, file=out)
    errors = sum(1 for finding in findings if finding.fatal)
    print(
        f"{len(loaded)} areas, {errors} errors, {len(findings) - errors} warnings",
        file=out,
    )
    return 1 if errors else 0

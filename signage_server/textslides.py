"""Text slides: a small TOML file in a drop folder that becomes a page on the screens.

::

    title = "Julemarked i forsamlingshuset"
    text = "Lørdag 5. december kl. 10-15. Gløgg, æbleskiver og juletræer."
    link = "https://morkov.dk/julemarked"      # optional: shown as a QR code
    picture = "billeder/julemarked.jpg"        # optional: a picture in a folder beside it

The web UI writes these files (so a text slide lives in the library like any other file,
and goes into a backup with it) and a volunteer may write one by hand. The picture lives
in a sub-folder, which the drop-folder scan does not show as a slide of its own.
The page is the news template's (title, text, picture, QR code): one look for all slides.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from .feeds.clean import safe_url

SUFFIX = ".toml"
#: Where the web UI puts the pictures of text slides, inside the drop folder.
PICTURES = "billeder"
MAX_TITLE = 120
MAX_TEXT = 600
MAX_LINK = 500
MAX_FILE_BYTES = 16 * 1024
KEYS = frozenset({"title", "text", "link", "picture"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


class TextSlideError(ValueError):
    """A text slide that cannot be used; ``danish`` says what to do."""

    def __init__(self, reason: str, danish: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.danish = danish
        self.field = field


@dataclass(frozen=True)
class TextSlide:
    title: str
    text: str = ""
    link: str | None = None
    #: A path relative to the drop folder, e.g. "billeder/jul.jpg".
    picture: str | None = None


def is_text_slide(name: str) -> bool:
    return name.casefold().endswith(SUFFIX)


def clean_text(value: str) -> str:
    """Plain text as people type it: NFC, no control characters, lines kept, at most one
    empty line in a row, no space at the ends."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = _CONTROL.sub("", value.replace("\t", " "))
    value = "\n".join(line.strip() for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def make(title: str, text: str = "", link: str = "", picture: str | None = None) -> TextSlide:
    """A checked text slide from what an editor typed. Raises TextSlideError."""
    title = clean_text(title).replace("\n", " ")
    text = clean_text(text)
    link = link.strip()
    if not title:
        raise TextSlideError("no title", "Skriv en overskrift.", "title")
    if len(title) > MAX_TITLE:
        raise TextSlideError(
            f"title of {len(title)} characters",
            f"Overskriften er for lang ({len(title)} tegn). Højst {MAX_TITLE} tegn.",
            "title",
        )
    if len(text) > MAX_TEXT:
        raise TextSlideError(
            f"text of {len(text)} characters",
            f"Teksten er for lang ({len(text)} tegn). Højst {MAX_TEXT} tegn: en skærm læses i "
            "forbifarten.",
            "text",
        )
    if link:
        if len(link) > MAX_LINK or safe_url(link) is None:
            raise TextSlideError(
                "link is not an http(s) address",
                "Linket skal være en webadresse, der begynder med https:// eller http://.",
                "link",
            )
        link = safe_url(link) or link
    if picture is not None:
        _check_picture_path(picture)
    return TextSlide(title, text, link or None, picture)


def parse(data: bytes) -> TextSlide:
    """Read a text slide file. Raises TextSlideError."""
    if len(data) > MAX_FILE_BYTES:
        raise TextSlideError(
            "text slide file too big", "Tekstplakatens fil er for stor (højst 16 kB)."
        )
    try:
        body = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TextSlideError(
            f"not a text slide: {exc}",
            'Filen kan ikke læses som tekstplakat. Skriv den som title = "…" og '
            'text = "…" (se brugervejledningen).',
        ) from None
    unknown = set(body) - KEYS
    if unknown:
        raise TextSlideError(
            f"unknown keys {sorted(unknown)}",
            f"Ukendt felt i tekstplakaten: {', '.join(sorted(unknown))}. Brug title, text, "
            "link og picture.",
        )
    values = {key: body.get(key, "") for key in ("title", "text", "link")}
    picture = body.get("picture")
    if not all(isinstance(value, str) for value in values.values()) or not isinstance(
        picture, str | None
    ):
        raise TextSlideError(
            "a value is not text", 'Alle felter i tekstplakaten skal være tekst i "…".'
        )
    return make(values["title"], values["text"], values["link"], picture or None)


def dumps(slide: TextSlide) -> bytes:
    """The file of a text slide (TOML; a JSON string is a TOML basic string once DEL is
    escaped, which TOML does not allow raw)."""

    def quoted(value: str) -> str:
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")

    lines = ["# Tekstplakat (Lokalskærm)", f"title = {quoted(slide.title)}"]
    lines.append(f"text = {quoted(slide.text)}")
    if slide.link:
        lines.append(f"link = {quoted(slide.link)}")
    if slide.picture:
        lines.append(f"picture = {quoted(slide.picture)}")
    return ("\n".join(lines) + "\n").encode()


def _check_picture_path(picture: str) -> None:
    path = PurePosixPath(picture)
    if (
        not picture
        or path.is_absolute()
        or ".." in path.parts
        or "\\" in picture
        or len(path.parts) != 2
    ):
        raise TextSlideError(
            f"picture path {picture!r} is not a file in a folder beside the slide",
            "Billedet skal ligge i en mappe ved siden af tekstplakaten, f.eks. "
            'picture = "billeder/jul.jpg".',
        )

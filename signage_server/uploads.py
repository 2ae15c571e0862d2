"""Files that come in through the web UI (an editor's upload, an approved citizen's
poster, a text slide) written into a drop folder, so that they are one library with the
files volunteers copy there: the same scan, the same list, the same settings.

A file is written whole under a temporary name the scan ignores, flushed to disk, and
renamed into place; its name is made safe and never overwrites another file.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from pathlib import Path

from player.files import write_atomically

from . import filetypes, pdfs

MAX_STEM = 80
#: The file type by content, for the name's suffix (a renamed file gets its true one).
_SUFFIXES = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG", ".png"),
    (b"GIF8", ".gif"),
    (b"%PDF-", ".pdf"),
)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def suffix_of(data: bytes) -> str:
    """The suffix a file's name gets, from its content."""
    if pdfs.is_pdf(data):
        return ".pdf"
    for magic, suffix in _SUFFIXES:
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if filetypes.iso_media(data) == "HEIF":
        return ".heic"
    return ".bin"


def safe_name(original: str, suffix: str, fallback: str = "plakat") -> str:
    """A file name for the drop folder from the name a browser sent: no directories, no
    characters a file system or a shell trips over, no leading dot (hidden files are not
    slides), not too long, with the suffix the content calls for."""
    name = unicodedata.normalize("NFC", original.replace("\\", "/").rsplit("/", 1)[-1])
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return _clean(stem, fallback) + suffix


def name_from_title(title: str, suffix: str, fallback: str = "opslag") -> str:
    """A file name from a slide's title: all of the title is the name ("Koncert 7.12" keeps
    its ".12", "U10/U12" becomes "U10 U12"), made safe as :func:`safe_name` does."""
    return _clean(unicodedata.normalize("NFC", title), fallback) + suffix


def _clean(stem: str, fallback: str) -> str:
    stem = _UNSAFE.sub(" ", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" .-~$")[:MAX_STEM].strip()
    return stem or fallback


def free_name(directory: Path, name: str) -> str:
    """``name``, or ``name (2)``, ``(3)`` … when a file of that name is there already."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, number = name, 1
    taken = {path.name.casefold() for path in directory.iterdir()} if directory.is_dir() else set()
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem} ({number}){dot}{suffix}"
    return candidate


def write_new(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as a new file in ``directory`` (made if missing) under a free name
    like ``name``; returns its path. Atomic: the scan sees the whole file or nothing."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / free_name(directory, name)
    write_atomically(path, data, directory)
    return path


def replace(path: Path, data: bytes) -> None:
    """Write ``data`` over the file at ``path``, atomically."""
    write_atomically(path, data, path.parent)


def remove(path: Path) -> None:
    """Delete a slide's file (a missing one is fine: someone was quicker)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)

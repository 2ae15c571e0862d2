"""Checks over the web UI's templates as files."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "signage_server" / "templates"


def test_every_input_says_its_type() -> None:
    """web.css styles inputs by their type: one without it was drawn small and bare (the
    pairing form's code and name fields)."""
    untyped = [
        f"{path.name}: {tag[:60]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for tag in re.findall(r"<input\b[^>]*>", path.read_text(encoding="utf-8"))
        if not re.search(r"\btype=", tag)
    ]
    assert not untyped, untyped

"""The web UI's catalogues: every message of the templates and the web package has a Danish
translation, and the English catalogue knows the same messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from signage_server.web import i18n

PACKAGE = Path(i18n.__file__).parent.parent
KEYWORDS = ("_", "gettext", "ngettext")


def used_messages() -> set[str]:
    found: set[str] = set()
    for template in (PACKAGE / "templates").glob("*.html"):
        with template.open("rb") as file:
            for _, _, message, _ in babel_extract(file, KEYWORDS, [], {}):
                found.add(_singular(message))
    for module in (PACKAGE / "web").glob("*.py"):
        with module.open("rb") as file:
            for _, _, python_message, _ in extract_python(file, dict.fromkeys(KEYWORDS), [], {}):
                if python_message:
                    found.add(_singular(python_message))
    return found


def _singular(message: Any) -> str:
    text = message if isinstance(message, str) else message[0]
    assert isinstance(text, str)
    return text


def catalogue(language: str) -> dict[str, object]:
    with i18n.catalogue_path(language).open("rb") as file:
        return {
            (m.id if isinstance(m.id, str) else m.id[0]): m.string for m in read_po(file) if m.id
        }


def test_every_message_has_a_danish_translation() -> None:
    used, danish = used_messages(), catalogue("da")
    assert "Log in" in used
    missing = sorted(m for m in used if not danish.get(m) or danish[m] in ("", ("", "")))
    assert not missing, f"not translated to Danish: {missing}"
    assert set(catalogue("en")) == set(danish)
    unused = sorted(set(danish) - used)
    assert not unused, f"in the catalogue but not used: {unused}"


def test_the_catalogues_compile_and_translate() -> None:
    languages = i18n.load_languages()
    assert languages["da"].gettext("Log in") == "Log ind"
    assert languages["en"].gettext("Log in") == "Log in"
    assert languages["da"].translations.ngettext("%(num)d time in a row; the last good items "
        "are shown", "%(num)d times in a row; the last good items are shown", 2) % {"num": 2} \
        == "2 gange i træk; de sidste gode emner vises"  # fmt: skip

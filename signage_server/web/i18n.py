"""The web UI's languages: Danish by default, English on request.

The catalogues are gettext ``.po`` files in ``signage_server/locale/<lang>/LC_MESSAGES/``,
compiled in memory with Babel when the app is built (no ``.mo`` files in the repository).
Templates use Jinja2's i18n extension (``{% trans %}``, ``_()``); each language has its own
environment, so a request never sees another request's language.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from pathlib import Path

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request
from starlette.templating import Jinja2Templates

LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
LANGUAGE_COOKIE = "lang"
LOCALE_DIR = Path(__file__).parent.parent / "locale"
TEMPLATES_DIR = Path(__file__).parent.parent / "templates"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def load_translations(language: str) -> gettext.GNUTranslations:
    """Compile ``language``'s .po file in memory."""
    with catalogue_path(language).open("rb") as file:
        catalog = read_po(file, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Language:
    code: str
    translations: gettext.GNUTranslations
    templates: Jinja2Templates

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)


def load_languages() -> dict[str, Language]:
    languages = {}
    for code in LANGUAGES:
        translations = load_translations(code)
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
        )
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        languages[code] = Language(code, translations, Jinja2Templates(env=env))
    return languages


def choose(request: Request) -> str:
    """``?lang=`` on this request, else the ``lang`` cookie, else Danish."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def language(request: Request) -> Language:
    languages: dict[str, Language] = request.app.state.languages
    return languages[choose(request)]

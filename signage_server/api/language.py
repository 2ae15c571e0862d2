"""The language of the API's messages: English, or Danish when the client asks for it with
``Accept-Language: da``. Checks the web UI also makes say what the web UI says (its
catalogues); the API's own messages carry both languages here."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ..web import i18n

DEFAULT = "en"


def choose(accept_language: str) -> str:
    """``da`` or ``en``: the first of them in the header by its weight, else English."""
    best, best_weight = DEFAULT, -1.0
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in i18n.LANGUAGES:
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        # Equal weights: the one named first wins.
        weight -= position * 1e-6
        if weight > best_weight and weight > 0:
            best, best_weight = primary, weight
    return best


@dataclass(frozen=True)
class Messages:
    language: i18n.Language

    @property
    def code(self) -> str:
        return self.language.code

    def web(self, message: str, **values: object) -> str:
        """A message of the web UI's catalogue, in this language."""
        text = self.language.gettext(message)
        return text % values if values else text

    def say(self, english: str, danish: str) -> str:
        """One of the API's own messages."""
        return danish if self.code == "da" else english


def messages(request: Request) -> Messages:
    languages: dict[str, i18n.Language] = request.app.state.languages
    return Messages(languages[choose(request.headers.get("accept-language", ""))])

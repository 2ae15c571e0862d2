"""Rendering the web UI's pages in the request's language, with the security headers every
page gets, and reading the url-encoded forms they post."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from .. import permissions
from . import i18n, sessions

#: The app's strict policy: nothing inline, nothing from elsewhere.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Pages show what only this user may see; keep them out of shared caches and history.
    "Cache-Control": "no-store",
}
MAX_FIELDS = 50


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    language = i18n.language(request)
    principal = sessions.principal(request)
    response = language.templates.TemplateResponse(
        request,
        template,
        {
            "lang": language.code,
            "other_languages": [code for code in i18n.LANGUAGES if code != language.code],
            "csrf_token": sessions.csrf_token(request),
            "principal": principal,
            "can": lambda action, area=None: permissions.can(
                principal, permissions.Action(action), area
            ),
            **context,
        },
        status_code=status_code,
    )
    response.headers.update(HEADERS)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            language.code,
            max_age=365 * 24 * 60 * 60,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
    return response


def not_found(request: Request) -> Response:
    """The "not found" page, in the request's language."""
    return render(request, "not_found.html", {}, status_code=404)


def bad_request(request: Request) -> Response:
    """A form that could not be read (not one of ours, or cut off): nothing was done."""
    return render(request, "bad_request.html", {}, status_code=400)


async def form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form (the first value of each). The CSRF middleware has
    checked its size and token already."""
    body = await request.body()
    fields = parse_qs(body.decode("latin-1"), max_num_fields=MAX_FIELDS)
    return {name: values[0] for name, values in fields.items()}

"""Pairing a new screen from the Skærme page: the admin types the code the screen shows
(or opens the QR code's link, which fills it in), chooses its area and a name; the server
creates the screen and hands its token to the waiting player on ``/ws/pair``. The token is
never shown, and stored only as its hash."""

from __future__ import annotations

import asyncio
import math
import sqlite3

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import pairing, screens
from ..content import Content
from ..pairing import Pairings, Result, WrongCodes
from ..permissions import Action
from . import auth, i18n, pages, sessions
from .screens import render_page

MAX_NAME = 100
#: How long the admin's request waits for the token to go out on the player's socket.
DELIVERY_SECONDS = 5.0


async def pair(request: Request) -> Response:
    principal = auth.require(request, Action.MANAGE_SCREENS)
    fields = await pages.form(request)
    typed = {key: fields.get(key, "").strip() for key in ("code", "area", "name")}
    language = i18n.language(request)
    _ = language.gettext
    content: Content = request.app.state.content
    limiter: WrongCodes = request.app.state.wrong_pairing_codes
    who = f"user:{principal.user_id}"
    errors: dict[str, str] = {}

    wait = limiter.wait(who)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        errors["code"] = language.translations.ngettext(
            "Too many wrong codes. Try again in %(num)d minute.",
            "Too many wrong codes. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
        response = render_page(request, typed, errors, status_code=429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    if typed["area"] not in content.recipes:
        errors["area"] = _("Choose the screen's area.")
    if not typed["name"]:
        errors["name"] = _("Give the screen a name, e.g. the place where it hangs.")
    elif len(typed["name"]) > MAX_NAME:
        errors["name"] = _("The name is too long (at most %(num)d characters).") % {"num": MAX_NAME}
    code = pairing.normalize(typed["code"])
    if not typed["code"]:
        errors["code"] = _("Type the code the screen shows.")
    elif code is None:
        limiter.failed(who)
        errors["code"] = _("That is not a code the screen shows. Check it and try again.")
    if errors:
        return render_page(request, typed, errors, status_code=400)
    assert code is not None
    pairings: Pairings = request.app.state.pairings
    slot = pairings.claim(code)
    if slot is None:
        limiter.failed(who)
        errors["code"] = _(
            "The code is wrong, has expired or was used. Check the code on the screen and "
            "try again."
        )
        return render_page(request, typed, errors, status_code=400)

    db: sqlite3.Connection = request.app.state.db
    screen, token = screens.add(db, typed["area"], typed["name"])
    slot.hand_over(Result(token, typed["area"], typed["name"]))
    delivered = False
    try:
        async with asyncio.timeout(DELIVERY_SECONDS):
            delivered = await asyncio.shield(slot.delivered)
    except TimeoutError:
        pass
    if not delivered:
        # The player went before it got its token: leave no screen nobody can use.
        screens.remove_unused(db, screen.id)
        errors["code"] = _(
            "The screen went off-line before it got its key. Wait for a new code on the "
            "screen and try again."
        )
        return render_page(request, typed, errors, status_code=409)
    user = sessions.current_user(request)
    screens.audit(
        db,
        f"user:{user.email}" if user else "unknown",
        "pair",
        screen,
        {"area": screen.area, "name": screen.name, "software": slot.software},
    )
    return RedirectResponse(f"/screens?paired={screen.id}", status_code=303)


ROUTES = [Route("/screens/pair", pair, methods=["POST"])]

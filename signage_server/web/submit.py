"""An area's public form for citizens' submissions ("Send et opslag til skærmen i
Mørkøv"), and its thank-you page. What is sent waits in the area's queue (web/queue.py)
for an editor.

The form is the one page of the web UI that anyone may use, without an account; it is
guarded by the CSRF token of the visitor's session (the middleware checks it and caps
the upload), a honeypot field (filled in: answered as a success, nothing stored), a rate
limit (:class:`submissions.SubmissionLimiter`, on ``app.state``) and the same checks of
the poster as an editor's upload. An area takes submissions when its screens show its
own folder, where an approved one goes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import math
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import images, pdfs, submissions, textslides, uploads
from ..content import Content
from ..recipes import Recipe
from . import i18n, pages, schedule
from .csrf import MAX_UPLOAD_BYTES, upload_form

log = logging.getLogger(__name__)

#: The honeypot: a field people do not see and bots fill in.
HONEYPOT = "website"


def limiter(request: Request) -> submissions.SubmissionLimiter:
    """The app's limiter (in memory: a restart clears it)."""
    found: submissions.SubmissionLimiter = request.app.state.submission_limiter
    return found


@dataclass(frozen=True)
class Typed:
    """What the form shows again after a refusal (never the file, never the honeypot)."""

    title: str = ""
    text: str = ""
    start: str = ""
    until: str = ""
    contact: str = ""


def _public_area(request: Request) -> Recipe | None:
    """The area of the URL, if it takes submissions: one whose screens show its own folder,
    where an approved submission goes."""
    recipe: Recipe | None = request.app.state.content.recipes.get(request.path_params["area"])
    return recipe if recipe is not None and recipe.area in recipe.sources else None


async def submit_form(request: Request) -> Response:
    recipe = _public_area(request)
    if recipe is None:
        return pages.not_found(request)
    return _form_page(request, recipe, Typed(), {})


async def submit(request: Request) -> Response:
    recipe = _public_area(request)
    if recipe is None:
        return pages.not_found(request)
    form = upload_form(request)
    language = i18n.language(request)
    client = request.client.host if request.client else "unknown"
    limits = limiter(request)
    wait = limits.wait(client, recipe.area)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        message = language.translations.ngettext(
            "Many notices were sent in a short time. Try again in %(num)d minute.",
            "Many notices were sent in a short time. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
        response = _form_page(request, recipe, _typed(form), {}, limited=message, status=429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    limits.tried(client)
    if _text(form, HONEYPOT):
        # A bot: it gets what a person gets, and nothing is kept.
        limits.sent(client, None)
        log.info("submission to %s refused quietly: the honeypot was filled in", recipe.area)
        return _thanks(recipe)
    content: Content = request.app.state.content
    today = dt.datetime.fromtimestamp(time.time(), recipe.zone).date()
    typed = _typed(form)
    draft, errors = _check(typed, recipe, today, language)
    file = form.get("poster")
    data = await file.read() if isinstance(file, UploadFile) else b""
    if not data and not textslides.clean_text(typed.text) and "text" not in errors:
        errors["poster"] = language.gettext("Choose a poster, or write a text.")
    if data and not errors:
        problem = await check_poster(content, recipe, data)
        if problem is not None:
            errors["poster"] = problem.danish if language.code == "da" else problem.reason
    if errors or draft is None:
        return _form_page(request, recipe, typed, errors, status=400)
    db: sqlite3.Connection = request.app.state.db
    if data:
        suffix = uploads.suffix_of(data)
        name = uploads.safe_name(getattr(file, "filename", "") or "", suffix)
        sha = content.blobs.put(data)
        draft = dataclasses.replace(draft, file_name=name, file_sha256=sha)
    try:
        number = submissions.add(db, draft)
    except BaseException:
        if draft.file_sha256:
            submissions.forget_blobs(db, content.blobs, [draft.file_sha256])
        raise
    limits.sent(client, recipe.area)
    log.info("submission %d to %s, waiting for an editor", number, recipe.area)
    submissions.forget_decided(db, content.blobs)
    return _thanks(recipe)


async def thanks(request: Request) -> Response:
    recipe = _public_area(request)
    if recipe is None:
        return pages.not_found(request)
    return pages.render(request, "submit_done.html", {"area": recipe})


def _thanks(recipe: Recipe) -> Response:
    return RedirectResponse(f"/areas/{recipe.area}/submit/thanks", status_code=303)


def _typed(form: FormData) -> Typed:
    return Typed(
        title=_text(form, "title"),
        text=_text(form, "text"),
        start=_text(form, "from").strip(),
        until=_text(form, "until").strip(),
        contact=_text(form, "contact").strip(),
    )


def _check(
    typed: Typed, recipe: Recipe, today: dt.date, language: i18n.Language
) -> tuple[submissions.Draft | None, dict[str, str]]:
    """The draft of a submission (None when there are errors), and the errors by field."""
    gettext = language.gettext
    errors: dict[str, str] = {}
    slide = None
    try:
        slide = textslides.make(typed.title, typed.text)
    except textslides.TextSlideError as exc:
        errors[exc.field or "title"] = exc.danish if language.code == "da" else exc.reason
        if exc.field == "title":  # the text may be wrong too: say both at once
            try:
                textslides.make("-", typed.text)
            except textslides.TextSlideError as text_exc:
                errors["text"] = text_exc.danish if language.code == "da" else text_exc.reason
    contact = typed.contact
    if not contact:
        errors["contact"] = gettext("Write your e-mail address, so that the editor can answer.")
    elif not submissions.is_email(contact):
        errors["contact"] = gettext(
            "That is not an e-mail address. Write it like navn@eksempel.dk."
        )
    _fields, rule, date_errors = schedule.read(
        {"from": typed.start, "until": typed.until}, recipe.zone, gettext
    )
    errors.update(date_errors)
    latest = today + dt.timedelta(days=submissions.MAX_DAYS_AHEAD)
    # Each day on its own (schedule.read has said what is wrong with its text).
    start = _day(typed.start) if "from" not in date_errors else None
    last = _day(typed.until) if "until" not in date_errors else None
    too_far = gettext("It may be at most %(num)d days ahead.") % {"num": submissions.MAX_DAYS_AHEAD}
    if start is not None and start < today:
        errors["from"] = gettext("That day has passed. Pick today or a later day.")
    elif start is not None and start > latest:
        errors["from"] = too_far
    if last is not None and last < today:
        errors["until"] = gettext("That day has passed. Pick today or a later day.")
    elif last is not None and last > latest:
        errors["until"] = too_far
    if errors or slide is None or rule is None:
        return None, errors
    draft = submissions.Draft(
        area=recipe.area,
        title=slide.title,
        text=slide.text,
        contact=contact,
        start=rule.start,
        until=rule.until,
    )
    return draft, errors


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def check_poster(
    content: Content, recipe: Recipe, data: bytes
) -> images.ImageRejected | None:
    """Why the poster cannot be used, or None; its renditions are made meanwhile (they
    are blobs no page names until the approval)."""
    try:
        if pdfs.is_pdf(data):
            count = await asyncio.to_thread(pdfs.page_count, data)
            if count > submissions.MAX_PAGES:
                return images.ImageRejected(
                    f"PDF has {count} pages, more than {submissions.MAX_PAGES}",
                    f"PDF-filen har {count} sider; send højst {submissions.MAX_PAGES}: "
                    "kun de sider, der skal på skærmen.",
                )
        await content.library.prepare(data, content.layouts_for(recipe.area) or {recipe.layout})
    except images.ImageRejected as exc:
        return exc
    return None


def _form_page(
    request: Request,
    recipe: Recipe,
    typed: Typed,
    errors: dict[str, str],
    limited: str | None = None,
    status: int = 200,
) -> Response:
    today = dt.datetime.fromtimestamp(time.time(), recipe.zone).date()
    return pages.render(
        request,
        "submit.html",
        {
            "area": recipe,
            "typed": typed,
            "errors": errors,
            "limited": limited,
            "honeypot": HONEYPOT,
            "today": today.isoformat(),
            "latest": (today + dt.timedelta(days=submissions.MAX_DAYS_AHEAD)).isoformat(),
            "max_title": textslides.MAX_TITLE,
            "max_text": textslides.MAX_TEXT,
            "max_contact": submissions.MAX_CONTACT,
            "max_mb": min(images.MAX_BYTES, MAX_UPLOAD_BYTES) // 2**20,
            "max_pages": submissions.MAX_PAGES,
            "default_days": submissions.DEFAULT_DAYS,
            "keep_days": submissions.KEEP_DECIDED_DAYS,
        },
        status_code=status,
    )


def _text(form: FormData | Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


ROUTES = [
    Route("/areas/{area}/submit", submit_form, methods=["GET"]),
    Route("/areas/{area}/submit", submit, methods=["POST"]),
    Route("/areas/{area}/submit/thanks", thanks, methods=["GET"]),
]

"""An area's queue of citizens' submissions, for those who may moderate the area (its
editors, the admins): what waits, with its poster, dates and contact address; approving
one makes it a slide of the area's folder with the dates given, rejecting one needs a
reason; below, what was decided lately, by whom; and the address of the public form
(web/submit.py), with a QR code to print.

Nothing submitted is shown anywhere else before the approval: the poster is served by
its own route, which needs ``Action.MODERATE``, and its sha256 is never put on a page.
No e-mail is sent (there is no mail server): the queue shows the contact address, for
the editor to answer from their own mail.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import images, pdfs, submissions, textslides
from ..content import Content
from ..permissions import Action, Principal
from ..recipes import Recipe
from ..submissions import AlreadyDecided, PosterMissing, Status, Submission
from . import auth, i18n, pages, schedule
from .screens import moment
from .submit import check_poster

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
POSTER_HEADERS = {
    "Cache-Control": "private, max-age=3600",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}


@dataclass(frozen=True)
class QueueItem:
    submission: Submission
    sent: str
    when: str
    #: No last day was given: the default number of days applies.
    default_end: bool
    ended: bool
    pages: int

    @property
    def id(self) -> int:
        return self.submission.id


class NotFound(Exception):
    """Answered with the "not found" page (see :func:`_not_found_page`)."""


def _moderated(request: Request) -> tuple[Principal, Recipe]:
    """Who asks and the area, if they may moderate it; LoginRequired or Forbidden first,
    then a 404 (NotFound) for an area that is not there."""
    area = request.path_params["area"]
    recipe: Recipe | None = request.app.state.content.recipes.get(area)
    if recipe is None:
        auth.require(request, Action.VIEW_OVERVIEW)
        raise NotFound()
    return auth.require(request, Action.MODERATE, area), recipe


def _find(request: Request, recipe: Recipe) -> Submission:
    """The submission of the URL, in this area's queue (another area's id is not found)."""
    found = submissions.get(request.app.state.db, recipe.area, request.path_params["id"])
    if found is None:
        raise NotFound()
    return found


async def queue(request: Request) -> Response:
    _principal, recipe = _moderated(request)
    content: Content = request.app.state.content
    submissions.forget_decided(request.app.state.db, content.blobs)
    query = request.query_params
    return await _queue_page(
        request, recipe, done=query.get("done", ""), done_name=query.get("name", "")[:200]
    )


async def _queue_page(
    request: Request,
    recipe: Recipe,
    done: str = "",
    done_name: str = "",
    problem: str | None = None,
    errors: Mapping[int, str] | None = None,
    reasons: Mapping[int, str] | None = None,
    status: int = 200,
) -> Response:
    content: Content = request.app.state.content
    db: sqlite3.Connection = request.app.state.db
    language = i18n.language(request)
    now = time.time()
    items = []
    for submission in submissions.pending(db, recipe.area):
        items.append(
            QueueItem(
                submission=submission,
                sent=moment(submission.created_at, now, recipe.zone, language),
                when=schedule.summary(
                    submissions.slide_rule(submission, recipe.zone, now),
                    recipe.zone,
                    language.gettext,
                ),
                default_end=submission.until is None,
                ended=submission.until is not None and submission.until.timestamp() <= now,
                pages=await _pages(content, submission),
            )
        )
    decided = [
        (
            submission,
            moment(submission.decided_at or now, now, recipe.zone, language),
        )
        for submission in submissions.decided(db, recipe.area)
    ]
    address = f"{str(request.base_url).rstrip('/')}/areas/{recipe.area}/submit"
    return pages.render(
        request,
        "queue.html",
        {
            "area": recipe,
            "items": items,
            "decided": decided,
            "address": address,
            "qr_code": _qr_code(address),
            "takes_submissions": recipe.area in recipe.sources,
            "done": done,
            "done_name": done_name,
            "problem": problem,
            "errors": errors or {},
            "reasons": reasons or {},
            "max_reason": submissions.MAX_REASON,
            "default_days": submissions.DEFAULT_DAYS,
            "keep_days": submissions.KEEP_DECIDED_DAYS,
        },
        status_code=status,
    )


async def _pages(content: Content, submission: Submission) -> int:
    """How many pages the poster has (a picture: 1; no poster: 0)."""
    if submission.file_sha256 is None:
        return 0
    if not submission.is_pdf:
        return 1
    try:
        data = submissions.poster(content.blobs, submission)
        return await asyncio.to_thread(pdfs.page_count, data or b"")
    except (PosterMissing, images.ImageRejected):
        return 0


@functools.lru_cache(maxsize=64)
def _qr_code(address: str) -> Markup:
    # segno writes only numbers, our colours and our class into this markup.
    code = segno.make_qr(address, error="m")
    return Markup(code.svg_inline(border=4, omitsize=True, svgclass="qr-code", lineclass=None))


async def poster(request: Request) -> Response:
    """The poster of a submission as a small JPEG (``?size=large``: as big as the area's
    screens; ``?page=N`` for a page of a PDF), for those who may moderate the area."""
    _principal, recipe = _moderated(request)
    submission = _find(request, recipe)
    content: Content = request.app.state.content
    try:
        data = submissions.poster(content.blobs, submission)
    except PosterMissing:
        data = None
    if data is None:
        raise NotFound()
    layout = recipe.layout if request.query_params.get("size") == "large" else "thumbnail"
    page = request.query_params.get("page", "1")
    index = int(page) - 1 if page.isdecimal() and len(page) < 4 else -1
    if not 0 <= index < submissions.MAX_PAGES:
        raise NotFound()
    try:
        rendition = await asyncio.to_thread(_render, data, layout, index)
    except (images.ImageRejected, IndexError):
        raise NotFound() from None
    return Response(rendition.data, media_type=rendition.type, headers=POSTER_HEADERS)


def _render(data: bytes, layout: str, index: int) -> images.Rendition:
    if pdfs.is_pdf(data):
        if index >= pdfs.page_count(data):
            raise IndexError(index)
        return pdfs.render_page(data, index, layout)
    if index:
        raise IndexError(index)
    return images.render(data, layout)


async def approve(request: Request) -> Response:
    principal, recipe = _moderated(request)
    submission = _find(request, recipe)
    content: Content = request.app.state.content
    language = i18n.language(request)
    if submission.status is not Status.PENDING:
        return await _decided_already(request, recipe, submission.status)
    try:
        data = submissions.poster(content.blobs, submission)
    except PosterMissing:
        return await _queue_page(
            request,
            recipe,
            problem=language.gettext("The poster is gone from the server. Reject the notice."),
            status=409,
        )
    if data is not None:
        problem = await check_poster(content, recipe, data)
        if problem is not None:
            message = problem.danish if language.code == "da" else problem.reason
            return await _queue_page(request, recipe, problem=message, status=409)
    # From here to the answer nothing waits, so no other request comes in between.
    try:
        path = submissions.approve(
            request.app.state.db,
            content.blobs,
            content.settings.assets / recipe.area,
            submission,
            recipe.zone,
            principal.user_id,
        )
    except AlreadyDecided as exc:
        return await _decided_already(request, recipe, exc.status)
    except (PosterMissing, textslides.TextSlideError):
        return await _queue_page(
            request,
            recipe,
            problem=language.gettext("The notice cannot become a slide. Reject it."),
            status=409,
        )
    content.library.written(path)
    log.info("submission %d to %s approved as %s", submission.id, recipe.area, path.name)
    await content.edited(folders={recipe.area})
    return _back(recipe, "approved", submission.title)


async def reject(request: Request) -> Response:
    principal, recipe = _moderated(request)
    submission = _find(request, recipe)
    language = i18n.language(request)
    if submission.status is not Status.PENDING:
        return await _decided_already(request, recipe, submission.status)
    typed = (await pages.form(request)).get("reason", "")
    reason = textslides.clean_text(typed)
    error = None
    if not reason:
        error = language.gettext("Write why, so that the sender can be told.")
    elif len(reason) > submissions.MAX_REASON:
        error = language.gettext("The reason is too long (at most %(num)d characters).") % {
            "num": submissions.MAX_REASON
        }
    if error is not None:
        return await _queue_page(
            request,
            recipe,
            errors={submission.id: error},
            reasons={submission.id: typed[: submissions.MAX_REASON * 2]},
            status=400,
        )
    try:
        submissions.reject(request.app.state.db, submission, reason, principal.user_id)
    except AlreadyDecided as exc:
        return await _decided_already(request, recipe, exc.status)
    log.info("submission %d to %s rejected", submission.id, recipe.area)
    return _back(recipe, "rejected", submission.title)


async def _decided_already(request: Request, recipe: Recipe, status: Status) -> Response:
    gettext = i18n.language(request).gettext
    message = (
        gettext("This notice is approved already: nothing more was done.")
        if status is Status.APPROVED
        else gettext("This notice is rejected already: nothing more was done.")
    )
    return await _queue_page(request, recipe, problem=message, status=409)


def _back(recipe: Recipe, done: str, name: str) -> Response:
    query = urlencode({"done": done, "name": name})
    return RedirectResponse(f"/areas/{recipe.area}/queue?{query}", status_code=303)


def _not_found_page(endpoint: Endpoint) -> Endpoint:
    """The endpoint, with NotFound answered by the "not found" page."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except NotFound:
            return pages.not_found(request)

    return answer


ROUTES = [
    Route("/areas/{area}/queue", _not_found_page(queue), methods=["GET"]),
    Route("/areas/{area}/queue/{id:int}/poster", _not_found_page(poster), methods=["GET"]),
    Route("/areas/{area}/queue/{id:int}/approve", _not_found_page(approve), methods=["POST"]),
    Route("/areas/{area}/queue/{id:int}/reject", _not_found_page(reject), methods=["POST"]),
]

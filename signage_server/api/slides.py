"""``/api/v1/areas/{area}/slides``: an area's slides in play order; upload a picture or PDF
(multipart), change a slide's schedule, title or pause (PATCH), delete one.

The same functions as the web UI's do the work (signage_server/slides.py): the same
checks and caps, the same files in the drop folders, and every change is on the screens
(``Content.edited``) before the answer goes back. A slide is named by its key
``<folder>/<file>``, URL-encoded in the path (``morkov%2Fplakat.jpg``); a key is only ever
a file directly in one of the area's folders.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from .. import arrangement, images
from .. import slides as area_slides
from ..compose import rule_of
from ..content import Content
from ..permissions import Action, Principal, can
from ..recipes import Recipe, SlideRule
from ..textslides import MAX_TITLE
from . import auth, bodies, idempotency, schedule
from .areas import AREA, area_of
from .errors import HEADERS, Forbidden, Invalid, NotFound, json_response
from .language import Messages, messages
from .routing import PREFIX, Answer, Routes, path_parameter
from .shapes import collection, ref

KEY = path_parameter(
    "key",
    "the slide's key `<folder>/<file>`, URL-encoded (morkov%2Fplakat.jpg)",
    examples=["morkov/01-plakat.jpg"],
)
SLIDE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "key",
        "folder",
        "file",
        "title",
        "kind",
        "pages",
        "schedule",
        "paused",
        "state",
        "editable",
        "from_recipe",
        "thumbnail",
    ],
    "additionalProperties": False,
    "properties": {
        "key": {"type": "string", "description": "<folder>/<file>"},
        "folder": {"type": "string", "description": "the drop folder: an area's, or all"},
        "file": {"type": "string"},
        "title": {"type": "string"},
        "kind": {"enum": ["image", "pdf", "text"]},
        "pages": {"type": "integer", "minimum": 1, "description": "a PDF gives one a page"},
        "schedule": ref("Schedule"),
        "paused": {"type": "boolean"},
        "state": {
            "enum": ["playing", "waiting", "later", "ended", "paused"],
            "description": "playing: on the screens now; waiting: its turn comes; later: its "
            "time comes later; ended: its until has passed",
        },
        "editable": {"type": "boolean", "description": "whether this token may change it"},
        "from_recipe": {
            "type": "boolean",
            "description": "its schedule comes from the area's recipe; a change replaces it",
        },
        "thumbnail": {"type": ["string", "null"], "description": "a picture's path under /assets"},
    },
}
SLIDES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["area", "slides"],
    "additionalProperties": False,
    "properties": {
        "area": {"type": "string"},
        "slides": collection("slides", ref("Slide"))["properties"]["slides"],
    },
}
_FORM_TEXT = {"type": "string", "maxLength": 200}
_MOMENT_TEXT = schedule.INPUT_SCHEMAS["from"]["description"]
UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": "application/octet-stream",
                        "description": "a picture (JPEG, PNG, WebP, GIF, HEIC) or a PDF",
                    },
                    "target": {
                        **_FORM_TEXT,
                        "description": "the folder it goes in: one of the area's "
                        "(default: the area's own; `all` for every area, admins only)",
                    },
                    "from": {**_FORM_TEXT, "description": _MOMENT_TEXT},
                    "until": {**_FORM_TEXT, "description": _MOMENT_TEXT},
                    "weekdays": {**_FORM_TEXT, "description": "days separated by commas: mon,sat"},
                    "hours": {**_FORM_TEXT, "description": "e.g. 10:00-15:00"},
                    "duration": {"type": "number", "minimum": 3, "maximum": 600},
                    "title": {"type": "string", "maxLength": MAX_TITLE},
                },
            }
        }
    },
}
PATCH_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    **schedule.INPUT_SCHEMAS,
                    "paused": {
                        "type": ["boolean", "null"],
                        "description": "off the screens while true (null: false)",
                    },
                },
            }
        }
    },
}
PATCH_FIELDS = (*schedule.FIELDS, "paused")
UPLOAD_FIELDS = ("target", *schedule.FIELDS)

routes = Routes("slides", {"Slide": SLIDE_SCHEMA, "Schedule": schedule.SCHEDULE_SCHEMA})


def slide_json(entry: area_slides.Entry, recipe: Recipe, content: Content) -> dict[str, Any]:
    rule = rule_of(recipe, content.arrangement, entry.slides[0]) if entry.slides else SlideRule()
    return {
        "key": entry.key,
        "folder": entry.folder,
        "file": entry.file,
        "title": entry.title,
        "kind": entry.kind,
        "pages": entry.pages,
        "schedule": schedule.as_json(rule, recipe.zone),
        "paused": entry.paused,
        "state": entry.state,
        "editable": entry.editable,
        "from_recipe": entry.from_recipe,
        "thumbnail": f"/assets/{entry.thumbnail}" if entry.thumbnail else None,
    }


def _one(content: Content, recipe: Recipe, principal: Principal, key: str) -> dict[str, Any]:
    for entry in area_slides.entries(content, recipe, principal, time.time()):
        if entry.key == key:
            return slide_json(entry, recipe, content)
    raise NotFound("no such slide in this area")


def _find(request: Request) -> tuple[Principal, Recipe, str, str, list[Any]]:
    """The slide of the path's key, if the token may change it: 404, else 403."""
    _principal, recipe = area_of(request)
    content: Content = request.app.state.content
    try:
        folder, file, found = area_slides.find(content, recipe, request.path_params["key"])
    except area_slides.SlideNotFound:
        raise NotFound("no such slide in this area") from None
    principal = auth.require(request, Action.EDIT_SLIDES, folder)
    return principal, recipe, folder, file, found


@routes.get(
    "/areas/{area}/slides",
    summary="The area's slides in play order",
    parameters=(AREA,),
    answers={200: Answer("the slides", SLIDES_SCHEMA)},
)
async def list_slides(request: Request) -> Response:
    principal, recipe = area_of(request)
    content: Content = request.app.state.content
    entries = area_slides.entries(content, recipe, principal, time.time())
    return json_response(
        {"area": recipe.area, "slides": [slide_json(e, recipe, content) for e in entries]}
    )


@routes.post(
    "/areas/{area}/slides",
    summary="Upload a picture or a PDF",
    description="Checked by content as in the web UI (a refusal names the field `file` and "
    "says why); on the screens when the answer comes. Schedule fields as in PATCH, as text.",
    parameters=(AREA, idempotency.PARAMETER),
    body=UPLOAD_BODY,
    answers={
        201: Answer(
            "the new slide",
            ref("Slide"),
            {"Location": {"required": True, "schema": {"type": "string"}}},
        ),
    },
)
async def upload_slide(request: Request) -> Response:
    principal, recipe = area_of(request)
    say = messages(request)
    async with bodies.multipart_form(request, say) as form:
        texts = [(field, value) for field, value in form.multi_items() if isinstance(value, str)]
        file = form.get("file")
        data = await file.read() if isinstance(file, UploadFile) else b""
        name = (file.filename or "") if isinstance(file, UploadFile) else ""
    fields = {field: value for field, value in texts if field != "file"}
    parts = [*texts, ("file", f"{name}:{hashlib.sha256(data).hexdigest()}")]
    request_hash = idempotency.fingerprint("POST", request.url.path, parts)

    async def act() -> Response:
        return await _upload(request, principal, recipe, fields, name, data, say)

    return await idempotency.once(request, auth.actor(principal), request_hash, say, act)


async def _upload(
    request: Request,
    principal: Principal,
    recipe: Recipe,
    fields: dict[str, str],
    name: str,
    data: bytes,
    say: Messages,
) -> Response:
    content: Content = request.app.state.content
    target = fields.get("target", "").strip() or recipe.area
    if target not in recipe.sources:
        raise Invalid(
            say.say(
                f"expected one of the area's folders: {', '.join(recipe.sources)}",
                f"Vælg en af områdets mapper: {', '.join(recipe.sources)}.",
            ),
            "target",
        )
    if not can(principal, Action.EDIT_SLIDES, target):
        raise Forbidden(f"this token may not add slides to the folder {target!r}")
    unknown = sorted(set(fields) - set(UPLOAD_FIELDS))
    if unknown:
        raise Invalid(_unknown_field(unknown[0], UPLOAD_FIELDS, say), unknown[0])
    rule = schedule.apply(SlideRule(), schedule.from_form(fields), recipe.zone, say)
    if not data:
        raise Invalid(say.web("Choose a picture or a PDF file."), "file")
    try:
        await area_slides.check_file(content, target, data)
    except images.ImageRejected as exc:
        raise Invalid(exc.danish if say.code == "da" else exc.reason, "file") from None
    path = await area_slides.add_file(content, target, name, data, rule, None)
    key = f"{target}/{path.name}"
    slide = _one(content, recipe, principal, key)
    location = f"{PREFIX}/areas/{recipe.area}/slides/{quote(key, safe='')}"
    return json_response(slide, 201, {"Location": location})


@routes.patch(
    "/areas/{area}/slides/{key:path}",
    summary="Change a slide's schedule, title or pause",
    description="Only the keys given change; null clears one. Without a setting from the web "
    "or the API, a slide starts from its recipe's rule, which a change replaces.",
    parameters=(AREA, KEY),
    body=PATCH_BODY,
    answers={200: Answer("the slide as it is now", ref("Slide"))},
)
async def change_slide(request: Request) -> Response:
    principal, recipe, folder, file, found = _find(request)
    content: Content = request.app.state.content
    if not found:  # a file the library could not use is not in the list
        raise NotFound("no such slide in this area")
    say = messages(request)
    changes = await bodies.json_object(request, say)
    unknown = sorted(set(changes) - set(PATCH_FIELDS))
    if unknown:
        raise Invalid(_unknown_field(unknown[0], PATCH_FIELDS, say), unknown[0])
    base = arrangement.load_one(content.db, folder, file)
    if base is None:
        base = rule_of(recipe, content.arrangement, found[0])
    rule = schedule.apply(base, changes, recipe.zone, say)
    paused = None
    if "paused" in changes:
        value = changes["paused"]
        if value is not None and not isinstance(value, bool):
            raise Invalid(say.say("expected true or false", "Skriv true eller false."), "paused")
        paused = bool(value)
    await area_slides.save_rule(content, folder, file, rule, None, paused=paused)
    return json_response(_one(content, recipe, principal, f"{folder}/{file}"))


@routes.delete(
    "/areas/{area}/slides/{key:path}",
    summary="Delete a slide",
    description="Deletes its file from the drop folder and what was set on it; off the "
    "screens when the answer comes (also in the other areas that show the folder).",
    parameters=(AREA, KEY),
    answers={204: Answer("deleted")},
)
async def delete_slide(request: Request) -> Response:
    _principal, _recipe, folder, file, _found = _find(request)
    content: Content = request.app.state.content
    try:
        await area_slides.delete(content, folder, file)
    except area_slides.SlideNotFound:
        raise NotFound("no such slide in this area") from None
    return Response(status_code=204, headers=HEADERS)


def _unknown_field(name: str, fields: tuple[str, ...], say: Messages) -> str:
    known = ", ".join(fields)
    return say.say(
        f"unknown field {name!r}; known: {known}",
        f"Ukendt felt {name!r}; kendte: {known}.",
    )

"""An area's slides in the web UI: the list in play order, uploads (pictures and PDFs),
text slides with a live preview, settings (schedule, duration, title), pause, reorder and
delete.

Every slide is a file of a drop folder (uploads are written there), named in forms by its
key ``<folder>/<file>``. Who may change a slide is decided by its folder: an editor of
Mørkøv changes the files of ``assets/morkov/``; the shared folder ``all`` is the admins'.
Reordering belongs to the area whose list it is. Each change is published to the screens
(``Content.edited``) before the answer goes back.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import arrangement, images, submissions, textslides, uploads
from .. import slides as area_slides
from ..compose import rule_of
from ..content import Content
from ..feeds.clean import safe_url
from ..library import SlideFile
from ..pages import PAGE_CSP
from ..pages.cards import NewsCard
from ..permissions import Action, Principal, can
from ..recipes import AREA_ID_RE, Recipe, SlideRule
from . import auth, i18n, pages, schedule
from .csrf import MAX_UPLOAD_BYTES, upload_form

THUMBNAIL = area_slides.THUMBNAIL


# --- reading what the area has (the shared logic is in signage_server/slides.py) ---------


def _area(request: Request, action: Action = Action.VIEW_AREA) -> tuple[Principal, Recipe]:
    area = request.path_params["area"]
    content: Content = request.app.state.content
    recipe = content.recipes.get(area)
    if recipe is None:
        # Only after the permission check would a "no such area" tell anything; an editor
        # learns nothing of areas that are not theirs either way.
        auth.require(request, Action.VIEW_OVERVIEW)
        raise HTTPException(404)
    return auth.require(request, action, area), recipe


def _entries(
    content: Content, recipe: Recipe, principal: Principal, now: float
) -> list[area_slides.Entry]:
    return area_slides.entries(content, recipe, principal, now)


def _find(content: Content, recipe: Recipe, key: str) -> tuple[str, str, list[SlideFile]]:
    """The folder, file and slides of a key in this area's list; 404 when it is not."""
    try:
        return area_slides.find(content, recipe, key)
    except area_slides.SlideNotFound:
        raise HTTPException(404) from None


def _may_edit(request: Request, folder: str) -> Principal:
    return auth.require(request, Action.EDIT_SLIDES, folder)


def _targets(content: Content, principal: Principal, recipe: Recipe) -> list[tuple[str, str]]:
    return area_slides.targets(content, principal, recipe)


# --- pages -------------------------------------------------------------------------------


async def slide_list(request: Request) -> Response:
    principal, recipe = _area(request)
    content: Content = request.app.state.content
    language = i18n.language(request)
    entries = _entries(content, recipe, principal, time.time())
    for entry in entries:
        rule = rule_of(recipe, content.arrangement, entry.slides[0])
        entry.when = schedule.summary(rule, recipe.zone, language.gettext)
    folders = set(recipe.sources)
    problems = sorted(
        (p for p in content.library.problems.values() if p.path.parent.name in folders),
        key=lambda p: str(p.path),
    )
    return pages.render(
        request,
        "slides.html",
        {
            "area": recipe,
            "entries": entries,
            "problems": problems,
            "may_edit": can(principal, Action.EDIT_SLIDES, recipe.area),
            "may_add": bool(_targets(content, principal, recipe)),
            "pending_submissions": submissions.count_pending(request.app.state.db, recipe.area),
            "done": request.query_params.get("done", ""),
            "done_name": request.query_params.get("name", "")[:200],
        },
    )


async def new_form(request: Request) -> Response:
    principal, recipe = _area(request)
    content: Content = request.app.state.content
    targets = _targets(content, principal, recipe)
    if not targets:
        raise auth.Forbidden()
    return _upload_page(request, recipe, targets, schedule.Fields(), {}, recipe.area)


async def upload(request: Request) -> Response:
    principal, recipe = _area(request)
    content: Content = request.app.state.content
    language = i18n.language(request)
    form = upload_form(request)
    targets = _targets(content, principal, recipe)
    target = _target(form, targets, recipe)
    fields, rule, errors = schedule.read(form, recipe.zone, language.gettext)
    file = form.get("file")
    data = await file.read() if isinstance(file, UploadFile) else b""
    if not data:
        errors["file"] = language.gettext("Choose a picture or a PDF file.")
    elif not errors:
        try:
            await area_slides.check_file(content, target, data)
        except images.ImageRejected as exc:
            errors["file"] = exc.danish if language.code == "da" else exc.reason
    if errors or rule is None:
        return _upload_page(request, recipe, targets, fields, errors, target, status_code=400)
    assert isinstance(file, UploadFile)
    path = await area_slides.add_file(
        content, target, file.filename or "", data, rule, principal.user_id
    )
    return _back(recipe, "added", path.name)


async def text_form(request: Request) -> Response:
    principal, recipe = _area(request)
    content: Content = request.app.state.content
    targets = _targets(content, principal, recipe)
    key = request.query_params.get("slide")
    slide = textslides.TextSlide("")
    fields = schedule.Fields()
    target = recipe.area
    if key:
        folder, file, _ = _find(content, recipe, key)
        _may_edit(request, folder)
        slide = _read_text_slide(content, folder, file)
        fields = schedule.fields_of(
            arrangement.load_one(request.app.state.db, folder, file), recipe.zone
        )
        target = folder
    elif not targets:
        raise auth.Forbidden()
    return _text_page(request, recipe, targets, slide, fields, {}, target, key)


async def save_text(request: Request) -> Response:
    principal, recipe = _area(request)
    content: Content = request.app.state.content
    language = i18n.language(request)
    form = upload_form(request)
    targets = _targets(content, principal, recipe)
    key = _text(form, "slide")
    existing: tuple[str, str] | None = None
    if key:
        folder, file, _ = _find(content, recipe, key)
        _may_edit(request, folder)
        existing = (folder, file)
        target = folder
        old = _read_text_slide(content, folder, file)
    else:
        target = _target(form, targets, recipe)
        old = textslides.TextSlide("")
    fields, rule, errors = schedule.read(form, recipe.zone, language.gettext)
    picture_file = form.get("picture")
    picture = await picture_file.read() if isinstance(picture_file, UploadFile) else b""
    keep = old.picture if old.picture and not form.get("remove_picture") else None
    typed = textslides.TextSlide(
        _text(form, "title"), _text(form, "text"), _text(form, "link") or None, keep
    )
    try:
        slide = textslides.make(typed.title, typed.text, typed.link or "", keep)
    except textslides.TextSlideError as exc:
        errors[exc.field or "title"] = exc.danish if language.code == "da" else exc.reason
        slide = typed
    if picture and not errors:
        try:
            await content.library.prepare(picture, _layouts(content, target))
        except images.ImageRejected as exc:
            errors["picture"] = exc.danish if language.code == "da" else exc.reason
    if errors or rule is None:
        return _text_page(
            request, recipe, targets, slide, fields, errors, target, key, status_code=400
        )
    directory = content.settings.assets / target
    written: list[Path] = []
    try:
        if picture:
            name = uploads.safe_name(
                getattr(picture_file, "filename", "") or slide.title, uploads.suffix_of(picture)
            )
            picture_path = uploads.write_new(directory / textslides.PICTURES, name, picture)
            written.append(picture_path)
            slide = textslides.TextSlide(
                slide.title, slide.text, slide.link, f"{textslides.PICTURES}/{picture_path.name}"
            )
        data = textslides.dumps(slide)
        if existing:
            path = directory / existing[1]
            uploads.replace(path, data)
        else:
            path = uploads.write_new(
                directory, uploads.name_from_title(slide.title, ".toml", "tekst"), data
            )
            written.append(path)
        content.library.written(path)
        paused = arrangement.is_paused(request.app.state.db, target, path.name)
        arrangement.save(
            request.app.state.db, target, path.name, rule, paused=paused, user_id=principal.user_id
        )
    except BaseException:
        for leftover in written:
            uploads.remove(leftover)
        raise
    await content.edited(folders={target})
    return _back(recipe, "saved" if existing else "added", path.name)


async def text_preview(request: Request) -> Response:
    """The page a text slide makes, from what is typed so far (for the form's live
    preview): a GET without side effects, shown in a sandboxed frame."""
    _principal, recipe = _area(request)
    content: Content = request.app.state.content
    params = request.query_params
    layout = params.get("layout", recipe.layout)
    if layout not in images.SCREEN_SIZES or layout == THUMBNAIL:
        layout = recipe.layout
    title = textslides.clean_text(params.get("title", ""))[: textslides.MAX_TITLE * 2]
    text = textslides.clean_text(params.get("text", ""))[: textslides.MAX_TEXT * 2]
    link = params.get("link", "").strip()[: textslides.MAX_LINK]
    picture = None
    key = params.get("slide")
    if key:
        _folder, _file, slides = _find(content, recipe, key)
        rendition = slides[0].renditions.get(layout) if slides else None
        if rendition and rendition.needs:
            picture = rendition.needs[0].sha256
    card = NewsCard(
        title or i18n.language(request).gettext("Headline"), text, safe_url(link), picture, None
    )
    html = content.library.page(card, layout)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def edit_form(request: Request) -> Response:
    _principal, recipe = _area(request)
    content: Content = request.app.state.content
    key = request.query_params.get("slide", "")
    folder, file, slides = _find(content, recipe, key)
    _may_edit(request, folder)
    if textslides.is_text_slide(file):
        return RedirectResponse(
            f"/areas/{recipe.area}/slides/text?{urlencode({'slide': key})}", status_code=303
        )
    rule = arrangement.load_one(request.app.state.db, folder, file)
    from_recipe = False
    if rule is None and slides:  # shown with the recipe's rule, which saving replaces
        rule = rule_of(recipe, content.arrangement, slides[0])
        from_recipe = rule != SlideRule()
    fields = schedule.fields_of(rule, recipe.zone)
    return _edit_page(request, recipe, key, file, slides, fields, {}, from_recipe)


async def save_edit(request: Request) -> Response:
    principal, recipe = _area(request)
    content: Content = request.app.state.content
    fields_in = await pages.form(request)
    key = fields_in.get("slide", "")
    folder, file, slides = _find(content, recipe, key)
    principal = _may_edit(request, folder)
    language = i18n.language(request)
    fields, rule, errors = schedule.read(fields_in, recipe.zone, language.gettext)
    if errors or rule is None:
        return _edit_page(
            request, recipe, key, file, slides, fields, errors, False, status_code=400
        )
    await area_slides.save_rule(content, folder, file, rule, principal.user_id)
    return _back(recipe, "saved", file)


async def pause(request: Request) -> Response:
    return await _set_paused(request, True)


async def resume(request: Request) -> Response:
    return await _set_paused(request, False)


async def _set_paused(request: Request, paused: bool) -> Response:
    principal, recipe = _area(request)
    content: Content = request.app.state.content
    key = (await pages.form(request)).get("slide", "")
    folder, file, _ = _find(content, recipe, key)
    principal = _may_edit(request, folder)
    await area_slides.set_paused(content, folder, file, paused, principal.user_id)
    return _back(recipe, "paused" if paused else "resumed", file)


async def delete_form(request: Request) -> Response:
    _principal, recipe = _area(request)
    content: Content = request.app.state.content
    key = request.query_params.get("slide", "")
    folder, file, slides = _find(content, recipe, key)
    _may_edit(request, folder)
    shared_by = sorted(
        other.name for area, other in content.recipes.items() if folder in other.sources
    )
    return pages.render(
        request,
        "slide_delete.html",
        {"area": recipe, "key": key, "file": file, "pages": len(slides), "shared_by": shared_by},
    )


async def delete(request: Request) -> Response:
    _principal, recipe = _area(request)
    content: Content = request.app.state.content
    key = (await pages.form(request)).get("slide", "")
    folder, file, _ = _find(content, recipe, key)
    _may_edit(request, folder)
    try:
        await area_slides.delete(content, folder, file)
    except area_slides.SlideNotFound:
        raise HTTPException(404) from None
    return _back(recipe, "deleted", file)


async def move(request: Request) -> Response:
    """Move one slide a place up or down (the buttons; works without JavaScript)."""
    principal, recipe = _area(request, Action.EDIT_SLIDES)
    content: Content = request.app.state.content
    form = await pages.form(request)
    keys = [entry.key for entry in _entries(content, recipe, principal, time.time())]
    key = form.get("slide", "")
    if key not in keys:
        raise HTTPException(404)
    index = keys.index(key)
    other = index - 1 if form.get("direction") == "up" else index + 1
    if 0 <= other < len(keys):
        keys[index], keys[other] = keys[other], keys[index]
    arrangement.set_order(request.app.state.db, recipe.area, keys)
    await content.edited(areas={recipe.area})
    return _back(recipe, "moved", key.partition("/")[2], anchor=key)


async def reorder(request: Request) -> Response:
    """The whole order at once (dragging, in slides.js): ``order`` is the keys, one a line."""
    principal, recipe = _area(request, Action.EDIT_SLIDES)
    content: Content = request.app.state.content
    form = await pages.form(request)
    known = [entry.key for entry in _entries(content, recipe, principal, time.time())]
    wanted = [key for key in form.get("order", "").splitlines() if key in known]
    # Slides the page did not know of (added meanwhile) keep their turn after the others.
    order = list(dict.fromkeys([*wanted, *known]))
    arrangement.set_order(request.app.state.db, recipe.area, order)
    await content.edited(areas={recipe.area})
    if request.headers.get("x-requested-with") == "fetch":
        return Response(status_code=204)
    return _back(recipe, "moved", "")


# --- helpers -------------------------------------------------------------------------------


def _text(form: FormData | Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _target(form: FormData, targets: list[tuple[str, str]], recipe: Recipe) -> str:
    target = _text(form, "target") or recipe.area
    if target not in {folder for folder, _ in targets}:
        if not AREA_ID_RE.match(target):
            raise HTTPException(400)
        raise auth.Forbidden()
    return target


def _layouts(content: Content, folder: str) -> set[str]:
    return area_slides.layouts(content, folder)


def _read_text_slide(content: Content, folder: str, file: str) -> textslides.TextSlide:
    try:
        return area_slides.read_text_slide(content, folder, file)
    except area_slides.SlideNotFound:
        raise HTTPException(404) from None


def _back(recipe: Recipe, done: str, name: str, anchor: str = "") -> Response:
    query = urlencode({"done": done, "name": name})
    fragment = f"#{quote(anchor)}" if anchor else ""
    return RedirectResponse(f"/areas/{recipe.area}/slides?{query}{fragment}", status_code=303)


def _upload_page(
    request: Request,
    recipe: Recipe,
    targets: list[tuple[str, str]],
    fields: schedule.Fields,
    errors: dict[str, str],
    target: str,
    status_code: int = 200,
) -> Response:
    return pages.render(
        request,
        "slide_new.html",
        {
            "area": recipe,
            "targets": targets,
            "target": target,
            "fields": fields,
            "errors": errors,
            "weekday_fields": schedule.WEEKDAY_FIELDS,
            "max_mb": MAX_UPLOAD_BYTES // 2**20,
        },
        status_code=status_code,
    )


def _text_page(
    request: Request,
    recipe: Recipe,
    targets: list[tuple[str, str]],
    slide: textslides.TextSlide,
    fields: schedule.Fields,
    errors: dict[str, str],
    target: str,
    key: str | None,
    status_code: int = 200,
) -> Response:
    return pages.render(
        request,
        "slide_text.html",
        {
            "area": recipe,
            "targets": targets,
            "target": target,
            "slide": slide,
            "key": key or "",
            "fields": fields,
            "errors": errors,
            "weekday_fields": schedule.WEEKDAY_FIELDS,
            "max_title": textslides.MAX_TITLE,
            "max_text": textslides.MAX_TEXT,
        },
        status_code=status_code,
    )


def _edit_page(
    request: Request,
    recipe: Recipe,
    key: str,
    file: str,
    slides: list[SlideFile],
    fields: schedule.Fields,
    errors: dict[str, str],
    from_recipe: bool,
    status_code: int = 200,
) -> Response:
    thumb = None
    if slides:
        ref = slides[0].renditions.get(THUMBNAIL) or slides[0].renditions.get(recipe.layout)
        thumb = ref.sha256 if ref else None
    return pages.render(
        request,
        "slide_edit.html",
        {
            "area": recipe,
            "key": key,
            "file": file,
            "thumbnail": thumb,
            "pages": len(slides),
            "fields": fields,
            "errors": errors,
            "from_recipe": from_recipe,
            "weekday_fields": schedule.WEEKDAY_FIELDS,
        },
        status_code=status_code,
    )


ROUTES = [
    Route("/areas/{area}/slides", slide_list, methods=["GET"]),
    Route("/areas/{area}/slides/new", new_form, methods=["GET"]),
    Route("/areas/{area}/slides/new", upload, methods=["POST"]),
    Route("/areas/{area}/slides/text", text_form, methods=["GET"]),
    Route("/areas/{area}/slides/text", save_text, methods=["POST"]),
    Route("/areas/{area}/slides/text/preview", text_preview, methods=["GET"]),
    Route("/areas/{area}/slides/edit", edit_form, methods=["GET"]),
    Route("/areas/{area}/slides/edit", save_edit, methods=["POST"]),
    Route("/areas/{area}/slides/pause", pause, methods=["POST"]),
    Route("/areas/{area}/slides/resume", resume, methods=["POST"]),
    Route("/areas/{area}/slides/delete", delete_form, methods=["GET"]),
    Route("/areas/{area}/slides/delete", delete, methods=["POST"]),
    Route("/areas/{area}/slides/move", move, methods=["POST"]),
    Route("/areas/{area}/slides/order", reorder, methods=["POST"]),
]

"""``/api/v1/areas``: the areas the token may see, each with its layout, time zone, the
version of its current snapshot, how many items it plays and how many screens are
connected."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..content import Content
from ..hub import Hub
from ..permissions import Action, Principal, visible_areas
from ..recipes import AREA_ID_RE, Recipe
from . import auth
from .errors import NotFound, json_response
from .routing import Answer, Routes, path_parameter
from .shapes import collection, ref

AREA = path_parameter(
    "area", "the area's id (its recipe's file name, e.g. morkov)", pattern=AREA_ID_RE.pattern
)
AREA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "layout", "timezone", "version", "items", "screens_connected"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "layout": {"enum": ["landscape", "portrait"]},
        "timezone": {"type": "string", "examples": ["Europe/Copenhagen"]},
        "version": {
            "type": ["string", "null"],
            "description": "the version of the snapshot the screens get now (null: none yet)",
        },
        "items": {"type": "integer", "minimum": 0, "description": "items in the snapshot"},
        "screens_connected": {"type": "integer", "minimum": 0},
    },
}

routes = Routes("areas", {"Area": AREA_SCHEMA})


def area_of(request: Request, action: Action = Action.VIEW_AREA) -> tuple[Principal, Recipe]:
    """The principal and the recipe of the path's ``{area}``, if the token may do
    ``action`` there: 401 without a token, 404 for an unknown area, else 403."""
    auth.principal(request)  # 401 comes before 404
    content: Content = request.app.state.content
    recipe = content.recipes.get(request.path_params["area"])
    if recipe is None:
        raise NotFound("no such area")
    return auth.require(request, action, recipe.area), recipe


def area_json(recipe: Recipe, hub: Hub) -> dict[str, Any]:
    published = hub.current(recipe.area)
    return {
        "id": recipe.area,
        "name": recipe.name,
        "layout": recipe.layout,
        "timezone": recipe.timezone,
        "version": published.snapshot.version if published else None,
        "items": len(published.snapshot.items) if published else 0,
        "screens_connected": hub.connected(recipe.area),
    }


@routes.get(
    "/areas",
    summary="The areas the token may see",
    answers={200: Answer("the areas, by id", collection("areas", ref("Area")))},
)
async def list_areas(request: Request) -> Response:
    principal = auth.principal(request)
    content: Content = request.app.state.content
    hub: Hub = request.app.state.hub
    return json_response(
        {
            "areas": [
                area_json(content.recipes[area], hub)
                for area in visible_areas(principal, content.recipes)
            ]
        }
    )


@routes.get(
    "/areas/{area}",
    summary="One area",
    parameters=(AREA,),
    answers={200: Answer("the area", ref("Area"))},
)
async def get_area(request: Request) -> Response:
    _principal, recipe = area_of(request)
    return json_response(area_json(recipe, request.app.state.hub))
